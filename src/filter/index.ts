/**
 * Server-side alert filters (`filter=`): a small declarative language, parsed once into a
 * predicate over the decoded alert, never evaluated as code.
 *
 * Grammar (EBNF; keywords are case-insensitive, whitespace is free between tokens):
 *
 *   filter     = or-expr ;
 *   or-expr    = and-expr , { "or" , and-expr } ;
 *   and-expr   = not-expr , { "and" , not-expr } ;
 *   not-expr   = "not" , not-expr | primary ;
 *   primary    = "(" , or-expr , ")" | cone | predicate ;
 *   cone       = "cone" , "(" , number , "," , number , "," , number , ")" ;
 *                (* right ascension and declination in degrees, radius in arcseconds *)
 *   predicate  = operand , ( compare-op , operand
 *                          | [ "not" ] , "in" , "(" , literal , { "," , literal } , ")"
 *                          | "is" , [ "not" ] , "null" ) ;
 *   compare-op = "<" | "<=" | ">" | ">=" | "==" | "!=" ;
 *   operand    = field | literal ;
 *   field      = name , { "." , name } ;     (* e.g. candidate.magpsf, diaSource.psfFlux *)
 *   name       = ( letter | "_" ) , { letter | digit | "_" } ;   (* not a keyword when first *)
 *   literal    = number | string | "true" | "false" | "null" ;
 *   number     = [ "-" | "+" ] , ( digits , [ "." , [ digits ] ] | "." , digits ) ,
 *                [ ( "e" | "E" ) , [ "-" | "+" ] , digits ] ;
 *   string     = "'" , { char | escape } , "'" | '"' , { char | escape } , '"' ;
 *   escape     = "\" , ( "\" | "'" | '"' | "/" | "n" | "t" | "r" | "u" , 4 * hex-digit ) ;
 *
 * Precedence: `not` binds tighter than `and`, which binds tighter than `or`.
 *
 * Semantics:
 * - A field is looked up through nested records; a missing field is null. Null, NaN and
 *   ±Infinity (what an item shows as null) all count as null.
 * - Every comparison, `in` and `not in` is false when a side is null: test with `is null` /
 *   `is not null` (`== null` and `!= null` mean the same). `not` negates plainly.
 * - Numbers compare exactly across Avro int/float/double (number) and long (bigint): integer
 *   literals keep every digit (`candid == 1234567890123456789`); literals with a fraction or an
 *   exponent are doubles. Strings order by UTF-16 code units. `==` between different kinds
 *   (a string and a number) is false and `!=` true; ordering them is false.
 * - `cone(ra, dec, r)` is true when the alert's position — `candidate.ra/dec` (ZTF),
 *   `diaSource.ra/dec` (LSST; `decl` in ELAsTiCC) or top-level `ra/dec` — is within r
 *   arcseconds (great-circle distance); false for an alert without a position.
 * - Bounds: FILTER_LIMITS (length, nesting depth of parentheses and `not`, `in` list size).
 *
 * Example: `candidate.magpsf < 18 and candidate.drb > 0.9 and cone(193.82, 2.89, 60)`.
 */
export { compileFilter, type AlertPredicate } from './compile.js'
export { FilterSyntaxError } from './filter-error.js'
export { FILTER_LIMITS, parseFilter, type FilterNode } from './parser.js'
export { angularSeparationArcsec, alertPosition } from './sky.js'

/** For the OpenAPI description of the `filter` parameter. */
export const FILTER_PARAMETER_DESCRIPTION =
  'Only alerts matching this expression are delivered (the others still advance the offsets). Comparisons ' +
  '`< <= > >= == !=` between dotted field paths (`candidate.magpsf`, `diaSource.psfFlux`) and literals (numbers, ' +
  "'strings', true, false, null); `and`, `or`, `not`, parentheses; `field in (1, 2)`, `field not in ('a')`; " +
  '`field is null`, `field is not null`; `cone(ra_deg, dec_deg, radius_arcsec)`. Missing fields and NaN are null ' +
  'and fail every comparison; 64-bit integers compare exactly. Example: ' +
  '`candidate.magpsf < 18 and candidate.drb > 0.9 and cone(193.82, 2.89, 60)`. ' +
  'At most 2000 characters; a malformed filter gets 400 FG_BAD_FILTER naming the position of the mistake.'
