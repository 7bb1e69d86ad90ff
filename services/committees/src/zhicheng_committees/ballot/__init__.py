"""The secret ballot (无记名投票, NA-7): rounds, one ballot per attending expert, receipts, an unlinkable box."""
