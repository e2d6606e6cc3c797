/* TODO: implemented by its issue work. */
