/** pgharden's version, as package.json says (a unit test holds the two equal). */
export const VERSION = '0.1.0';
