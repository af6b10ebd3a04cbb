/* Hexadecimal digits, one place for every parser that reads them: MACs
 * (rbpd/rbp_role.c), Kea's lease JSON (kea/kea_json.c, linked into the Kea
 * hook, which must not link rbpd's objects) and dbuser's hex: words. */
#ifndef DB_HEX_H
#define DB_HEX_H

/* The value of the hex digit c, either case: 0..15; -1 when c is not one
 * (NUL, a sign, a byte above 0x7f passed as a negative char included). */
int hex_digit(int c);

#endif
