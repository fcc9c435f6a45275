# A form refused as out of date (its page was open too long, or its cookie is gone): a fresh copy.
form-again = Open the form again
