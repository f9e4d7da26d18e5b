"""The workspace watcher: what each open workspace's steps read and wrote, kept current."""
