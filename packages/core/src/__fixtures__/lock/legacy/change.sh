#!/bin/sh
# second's data changes: DVC 3 rewrites its entry with `hash: md5`; first stays legacy.
printf 'three\n' > other.txt
