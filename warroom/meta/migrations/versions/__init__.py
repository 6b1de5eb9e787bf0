"""One module per revision, applied in order by warroom.meta.upgrade_to_head."""
