# Staff who have no settings page of their own choose their time zone on /account/time-zone.
zones-staff-follows-shop = Your pages show times in your shop's time zone, { $zone }. The shop's owner chooses it.
