/* shards placeholder: keeps the library non-empty until its first source lands. */
int shards_placeholder_(void);
int shards_placeholder_(void) { return 0; }
