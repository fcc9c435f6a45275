# Column headings that were empty: a screen reader names each column by its heading.
col-currency = 통화
col-actions = 관리
