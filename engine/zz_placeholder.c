/* engine placeholder: keeps the library non-empty until its first source lands. */
int engine_placeholder_(void);
int engine_placeholder_(void) { return 0; }
