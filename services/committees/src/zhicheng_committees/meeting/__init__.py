"""The evaluation meeting (评审会议): sign-in and quorum (MT-1, NA-7), review groups (MT-2, NA-8), recusal (NA-9)."""
