/* io placeholder: keeps the library non-empty until its first source lands. */
int io_placeholder_(void);
int io_placeholder_(void) { return 0; }
