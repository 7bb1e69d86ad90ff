"""The holder's view (NA-15): my declarations, my certificates, who verified them."""
