/* The Admin dashboard's Database panels. */
