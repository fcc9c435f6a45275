# Column headings that were empty: a screen reader names each column by its heading.
col-currency = Currency
col-actions = Actions
