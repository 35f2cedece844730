"""`bondhook check` on the wire: frames read (pure) beside the packet socket that sees them."""
