# Pharmacies: pharmacists, the check of flagged medicines, prescription photos.
role-pharmacist = pharmacist
error-not-a-pharmacy = Only a shop that sells as a pharmacy has pharmacists.
error-pharmacist-only = Only the pharmacy's pharmacist checks the marked medicines.
error-order-not-awaiting-check = This order is not waiting for a pharmacist's check.
error-check-lines-invalid = Decide every marked medicine once, and only those.
error-check-note-required = Say why you refuse this medicine; the customer reads it.
error-check-note-invalid = A note is at most 200 characters of plain text.
error-not-a-pharmacy-order = A prescription can be attached only to an order from a pharmacy.
error-order-ended = This order has ended.
