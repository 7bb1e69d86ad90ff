"""What the experts service keeps of other services' events: committees, plans, meetings open for a
draw, qualified applicants and integrity bars; and the frozen pool a draw reads from them."""
