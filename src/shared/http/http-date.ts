/**
 * HTTP-date (RFC 9110 5.6.7), read strictly: the preferred IMF-fixdate and the two obsolete forms
 * (RFC 850 and asctime) that recipients must accept, and nothing else. Date.parse is not used
 * because it accepts far more (it reads "0" as the year 2000), and RFC 9111 5.3 says an invalid
 * date, "0" above all, means "already expired". Returns milliseconds since the epoch, or undefined.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Longer than any valid HTTP-date: not even matched. */
const MAX_DATE_LENGTH = 64;

function build(year: number, month: string, day: number, h: string, m: string, s: string): number | undefined {
  const hour = Number(h);
  const minute = Number(m);
  const second = Number(s);
  // A leap second (60) is allowed by the grammar; Date would roll it over, which is what we want.
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, MONTHS.indexOf(month), day, hour, minute, second);
  // 31 Feb and the like roll over into the next month: refuse rather than guess.
  if (new Date(ms).getUTCDate() !== day && second !== 60) return undefined;
  return ms;
}

/** `now` only places two-digit RFC 850 years in a century. */
export function parseHttpDate(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v.length > MAX_DATE_LENGTH) return undefined;
  let m = IMF_FIXDATE.exec(v);
  if (m) return build(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(v);
  if (m) {
    // RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    let year = 2000 + Number(m[3]);
    if (year > new Date(now).getUTCFullYear() + 50) year -= 100;
    return build(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(v);
  if (m) return build(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}
