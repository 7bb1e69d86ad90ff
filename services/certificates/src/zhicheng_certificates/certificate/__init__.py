"""Certificate content, its canonical form, numbers, the signed document, the QR token and the PDF."""
