"""The result of a round (表决结果): the tally against the pack's threshold (NA-7, NA-9), signed and recountable."""
