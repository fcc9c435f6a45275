# Local time: the zone a person reads times in, or a shop keeps its days in.
time-zone-heading = Time zone
time-zone-now = Times here are in
field-time-zone = Time zone (e.g. Asia/Seoul)
time-zone-button = Save time zone
done-time-zone = Time zone saved.
error-invalid-time-zone = That is not a time zone we know. Type a name such as Asia/Seoul, America/Lima or UTC.
