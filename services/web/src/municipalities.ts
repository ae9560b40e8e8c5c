/** The region's municipalities by kommunkod: data, the same in every language. */
export const MUNICIPALITY_NAMES: Record<string, string> = {
  '1814': 'Lekeberg', '1860': 'Laxå', '1861': 'Hallsberg', '1862': 'Degerfors', '1863': 'Hällefors', '1864': 'Ljusnarsberg',
  '1880': 'Örebro', '1881': 'Kumla', '1882': 'Askersund', '1883': 'Karlskoga', '1884': 'Nora', '1885': 'Lindesberg',
  '1760': 'Storfors', '1781': 'Kristinehamn', '1782': 'Filipstad',
};
