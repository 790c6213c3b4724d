// The mandate language as a PEGTL grammar: one small named rule per construct.
//
// White space (spaces, tabs, newlines) and '#' comments may stand between any two
// tokens; clauses need no separators because each begins with its own keyword.
// Rules wrapped in must<> raise a parse error with the message from
// error_message<> below, so a mistake is reported where it is, once.
#pragma once

#include <tao/pegtl.hpp>

namespace mandate::grammar {

namespace pegtl = tao::pegtl;

// Lexical building blocks.
struct line_comment : pegtl::seq<pegtl::one<'#'>, pegtl::until<pegtl::eolf>> {};
struct blank : pegtl::sor<pegtl::space, line_comment> {};
struct ws : pegtl::star<blank> {};

struct name_first : pegtl::sor<pegtl::range<'a', 'z'>, pegtl::one<'_'>> {};
struct name_rest : pegtl::sor<pegtl::alnum, pegtl::one<'_'>> {};

// A keyword: the word, not followed by more name characters ("in" but not "index").
template <typename Word>
struct keyword : pegtl::seq<Word, pegtl::not_at<name_rest>> {};

#define MANDATE_KEYWORD(id, word) \
    struct kw_##id : keyword<TAO_PEGTL_STRING(word)> {}

MANDATE_KEYWORD(mandate, "mandate");
MANDATE_KEYWORD(seller, "seller");
MANDATE_KEYWORD(domain, "domain");
MANDATE_KEYWORD(currency, "currency");
MANDATE_KEYWORD(amount, "amount");
MANDATE_KEYWORD(category, "category");
MANDATE_KEYWORD(country, "country");
MANDATE_KEYWORD(valid, "valid");
MANDATE_KEYWORD(from, "from");
MANDATE_KEYWORD(until, "until");
MANDATE_KEYWORD(budget, "budget");
MANDATE_KEYWORD(limit, "limit");
MANDATE_KEYWORD(charges, "charges");
MANDATE_KEYWORD(per, "per");
MANDATE_KEYWORD(total, "total");
MANDATE_KEYWORD(rolling, "rolling");
MANDATE_KEYWORD(starting, "starting");
MANDATE_KEYWORD(require, "require");
MANDATE_KEYWORD(else, "else");
MANDATE_KEYWORD(decline, "decline");
MANDATE_KEYWORD(when, "when");
MANDATE_KEYWORD(in, "in");
MANDATE_KEYWORD(not, "not");
MANDATE_KEYWORD(and, "and");
MANDATE_KEYWORD(or, "or");
MANDATE_KEYWORD(every, "every");
MANDATE_KEYWORD(some, "some");
MANDATE_KEYWORD(sum, "sum");
MANDATE_KEYWORD(count, "count");
MANDATE_KEYWORD(true, "true");
MANDATE_KEYWORD(false, "false");
MANDATE_KEYWORD(refunds, "refunds");
MANDATE_KEYWORD(restore, "restore");
MANDATE_KEYWORD(list, "list");
MANDATE_KEYWORD(text, "text");
MANDATE_KEYWORD(int, "int");
MANDATE_KEYWORD(money, "money");
MANDATE_KEYWORD(time, "time");
MANDATE_KEYWORD(duration, "duration");
MANDATE_KEYWORD(zone, "zone");
MANDATE_KEYWORD(day, "day");
MANDATE_KEYWORD(week, "week");
MANDATE_KEYWORD(month, "month");
MANDATE_KEYWORD(year, "year");
MANDATE_KEYWORD(monday, "monday");
MANDATE_KEYWORD(tuesday, "tuesday");
MANDATE_KEYWORD(wednesday, "wednesday");
MANDATE_KEYWORD(thursday, "thursday");
MANDATE_KEYWORD(friday, "friday");
MANDATE_KEYWORD(saturday, "saturday");
MANDATE_KEYWORD(sunday, "sunday");

#undef MANDATE_KEYWORD

// Words that cannot name a parameter or variable: they would read as operators.
struct reserved_word : pegtl::sor<kw_in, kw_not, kw_and, kw_or, kw_every, kw_some, kw_sum,
                                  kw_count, kw_true, kw_false> {};

// A parameter, variable or field name: lower case first ("per_call", "item").
struct identifier
    : pegtl::seq<pegtl::not_at<reserved_word>, name_first, pegtl::star<name_rest>> {};
struct mandate_name : pegtl::seq<name_first, pegtl::star<name_rest>> {};
struct field_name : pegtl::seq<name_first, pegtl::star<name_rest>> {};
// A decline reason such as item_not_allowed.
struct reason_code : pegtl::seq<name_first, pegtl::star<name_rest>> {};
// An ISO 4217 or stablecoin code: upper case letters and digits ("USD", "USDC").
struct currency_code
    : pegtl::seq<pegtl::range<'A', 'Z'>, pegtl::plus<pegtl::sor<pegtl::range<'A', 'Z'>,
                                                                pegtl::digit>>,
                 pegtl::not_at<name_rest>> {};

// Literals.
struct digits : pegtl::plus<pegtl::digit> {};
struct two_digits : pegtl::rep<2, pegtl::digit> {};
// 2026-12-01T00:00:00Z, 2026-12-01T09:30:00.5+05:30
struct time_literal
    : pegtl::seq<pegtl::rep<4, pegtl::digit>, pegtl::one<'-'>, two_digits, pegtl::one<'-'>,
                 two_digits, pegtl::one<'T', 't'>, two_digits, pegtl::one<':'>, two_digits,
                 pegtl::one<':'>, two_digits, pegtl::opt<pegtl::one<'.'>, digits>,
                 pegtl::sor<pegtl::one<'Z', 'z'>,
                            pegtl::seq<pegtl::one<'+', '-'>, two_digits, pegtl::one<':'>,
                                       two_digits>>> {};
// 30s, 15m, 1h30m, 7d, 2w, 250ms
struct duration_unit : pegtl::sor<TAO_PEGTL_STRING("us"), TAO_PEGTL_STRING("ms"),
                                  pegtl::one<'s', 'm', 'h', 'd', 'w'>> {};
struct duration_literal
    : pegtl::seq<pegtl::plus<digits, duration_unit>, pegtl::not_at<name_rest>> {};
// 20, 12.50; followed by a currency code it is money: 12.50 USD
struct number_literal : pegtl::seq<digits, pegtl::opt<pegtl::one<'.'>, digits>> {};
struct number_or_money : pegtl::seq<number_literal, pegtl::opt<ws, currency_code>> {};
// "text" with \" \\ \n \t escapes; no raw line breaks
struct text_escape : pegtl::seq<pegtl::one<'\\'>, pegtl::one<'"', '\\', 'n', 't'>> {};
struct text_char : pegtl::sor<text_escape, pegtl::not_one<'"', '\\', '\n', '\r'>> {};
struct text_end : pegtl::one<'"'> {};
struct text_literal : pegtl::seq<pegtl::one<'"'>, pegtl::star<text_char>, pegtl::must<text_end>> {};
struct boolean_literal : pegtl::sor<kw_true, kw_false> {};

struct expression;

// [a, b, c] with an optional trailing comma
struct list_end : pegtl::one<']'> {};
struct list_literal
    : pegtl::seq<pegtl::one<'['>, ws,
                 pegtl::opt<expression, ws,
                            pegtl::star<pegtl::one<','>, ws, expression, ws>,
                            pegtl::opt<pegtl::one<','>, ws>>,
                 pegtl::must<list_end>> {};

struct close_paren : pegtl::one<')'> {};
struct open_paren : pegtl::one<'('> {};
struct colon : pegtl::one<':'> {};
struct parenthesized
    : pegtl::seq<pegtl::one<'('>, ws, pegtl::must<expression>, ws, pegtl::must<close_paren>> {};

struct additive;
// every item in charge.items: item.quantity <= 10
struct quantifier_kind : pegtl::sor<kw_every, kw_some> {};
struct quantifier
    : pegtl::seq<quantifier_kind, ws, pegtl::must<identifier>, ws, pegtl::must<kw_in>, ws,
                 pegtl::must<additive>, ws, pegtl::must<colon>, ws, pegtl::must<expression>> {};
// sum(item in charge.items: item.unit_price * item.quantity)
struct sum_call
    : pegtl::seq<kw_sum, ws, pegtl::must<open_paren>, ws, pegtl::must<identifier>, ws,
                 pegtl::must<kw_in>, ws, pegtl::must<additive>, ws, pegtl::must<colon>, ws,
                 pegtl::must<expression>, ws, pegtl::must<close_paren>> {};
// count(charge.items)
struct count_call
    : pegtl::seq<kw_count, ws, pegtl::must<open_paren>, ws, pegtl::must<expression>, ws,
                 pegtl::must<close_paren>> {};

struct primary
    : pegtl::sor<time_literal, duration_literal, number_or_money, text_literal, boolean_literal,
                 list_literal, parenthesized, quantifier, sum_call, count_call, currency_code,
                 identifier> {};

// charge.seller.country
struct postfix : pegtl::seq<primary, pegtl::star<pegtl::one<'.'>, pegtl::must<field_name>>> {};

// Operators, loosest last: * then + - then comparisons then not, and, or.
struct op_multiply : pegtl::one<'*'> {};
struct op_add : pegtl::one<'+'> {};
struct op_subtract : pegtl::one<'-'> {};
struct op_equal : TAO_PEGTL_STRING("==") {};
struct op_not_equal : TAO_PEGTL_STRING("!=") {};
struct op_less_equal : TAO_PEGTL_STRING("<=") {};
struct op_greater_equal : TAO_PEGTL_STRING(">=") {};
struct op_less : pegtl::one<'<'> {};
struct op_greater : pegtl::one<'>'> {};
struct op_in : kw_in {};
struct op_not_in : pegtl::seq<kw_not, ws, kw_in> {};

struct negated;
struct unary : pegtl::sor<negated, postfix> {};
struct negated : pegtl::seq<op_subtract, ws, pegtl::must<unary>> {};
struct multiplicative
    : pegtl::seq<unary, pegtl::star<ws, op_multiply, ws, pegtl::must<unary>>> {};
struct additive
    : pegtl::seq<multiplicative,
                 pegtl::star<ws, pegtl::sor<op_add, op_subtract>, ws,
                             pegtl::must<multiplicative>>> {};
struct comparison_op
    : pegtl::sor<op_equal, op_not_equal, op_less_equal, op_greater_equal, op_less, op_greater,
                 op_not_in, op_in> {};
struct comparison
    : pegtl::seq<additive, pegtl::opt<ws, comparison_op, ws, pegtl::must<additive>>> {};
struct logical_not;
struct negation : pegtl::sor<logical_not, comparison> {};
struct logical_not : pegtl::seq<kw_not, ws, pegtl::must<negation>> {};
struct conjunction : pegtl::seq<negation, pegtl::star<ws, kw_and, ws, pegtl::must<negation>>> {};
struct disjunction
    : pegtl::seq<conjunction, pegtl::star<ws, kw_or, ws, pegtl::must<conjunction>>> {};
// seq<> rather than inheriting: a rule derived from disjunction would match its
// parts directly, so no disjunction node would hold the operands of 'or'.
struct expression : pegtl::seq<disjunction> {};

// Clauses.
struct list_operand : expression {};
struct seller_clause
    : pegtl::seq<kw_seller, ws, pegtl::must<kw_in>, ws, pegtl::must<list_operand>> {};
struct domain_clause
    : pegtl::seq<kw_domain, ws, pegtl::must<kw_in>, ws, pegtl::must<list_operand>> {};
struct currency_clause
    : pegtl::seq<kw_currency, ws, pegtl::opt<kw_in, ws>, pegtl::must<list_operand>> {};
struct amount_op
    : pegtl::sor<op_less_equal, op_greater_equal, op_less, op_greater> {};
struct amount_clause
    : pegtl::seq<kw_amount, ws, pegtl::must<amount_op>, ws, pegtl::must<expression>> {};
struct category_clause
    : pegtl::seq<kw_category, ws, pegtl::must<kw_in>, ws, pegtl::must<list_operand>> {};
struct country_clause
    : pegtl::seq<kw_country, ws, pegtl::must<kw_in>, ws, pegtl::must<list_operand>> {};

struct valid_from : pegtl::seq<kw_from, ws, pegtl::must<expression>> {};
struct valid_until : pegtl::seq<kw_until, ws, pegtl::must<expression>> {};
struct valid_bounds
    : pegtl::sor<pegtl::seq<valid_from, pegtl::opt<ws, valid_until>>, valid_until> {};
struct valid_clause : pegtl::seq<kw_valid, ws, pegtl::must<valid_bounds>> {};

struct calendar_unit_word : pegtl::sor<kw_day, kw_week, kw_month, kw_year> {};
struct weekday
    : pegtl::sor<kw_monday, kw_tuesday, kw_wednesday, kw_thursday, kw_friday, kw_saturday,
                 kw_sunday> {};
struct week_start : pegtl::seq<kw_starting, ws, pegtl::must<weekday>> {};
struct window_zone : pegtl::seq<kw_in, ws, pegtl::must<expression>> {};
struct calendar_window
    : pegtl::seq<calendar_unit_word, pegtl::opt<ws, week_start>, pegtl::opt<ws, window_zone>> {};
struct rolling_window : pegtl::seq<kw_rolling, ws, pegtl::must<expression>> {};
struct period : pegtl::sor<rolling_window, calendar_window> {};
struct total_window : kw_total {};
struct window : pegtl::sor<total_window, pegtl::seq<kw_per, ws, pegtl::must<period>>> {};

struct budget_clause
    : pegtl::seq<kw_budget, ws, pegtl::must<expression>, ws, pegtl::must<window>> {};
struct limit_clause
    : pegtl::seq<kw_limit, ws, pegtl::must<expression>, ws, pegtl::must<kw_charges>, ws,
                 pegtl::must<window>> {};
struct require_else
    : pegtl::seq<kw_else, ws, pegtl::must<kw_decline>, ws, pegtl::must<reason_code>> {};
struct require_clause
    : pegtl::seq<kw_require, ws, pegtl::must<expression>, pegtl::opt<ws, require_else>> {};
struct decline_clause
    : pegtl::seq<kw_decline, ws, pegtl::must<reason_code>, ws, pegtl::must<kw_when>, ws,
                 pegtl::must<expression>> {};

// A mandate-wide setting rather than a check: refunded money counts as unspent.
struct refund_clause
    : pegtl::seq<kw_refunds, ws, pegtl::must<kw_restore>, ws, pegtl::must<kw_budget>> {};

struct clause
    : pegtl::sor<seller_clause, domain_clause, currency_clause, amount_clause, category_clause,
                 country_clause, valid_clause, budget_clause, limit_clause, require_clause,
                 decline_clause, refund_clause> {};

// Mandates and their parameters.
struct scalar_type : pegtl::sor<kw_text, kw_int, kw_money, kw_time, kw_duration, kw_zone> {};
struct type_close : pegtl::one<'>'> {};
struct list_type
    : pegtl::seq<kw_list, ws, pegtl::must<pegtl::one<'<'>>, ws, pegtl::must<scalar_type>, ws,
                 pegtl::must<type_close>> {};
struct type_name : pegtl::sor<list_type, scalar_type> {};
struct default_value : pegtl::seq<pegtl::one<'='>, ws, pegtl::must<expression>> {};
struct parameter
    : pegtl::seq<identifier, ws, pegtl::must<colon>, ws, pegtl::must<type_name>,
                 pegtl::opt<ws, default_value>> {};
struct parameter_list
    : pegtl::seq<pegtl::one<'('>, ws,
                 pegtl::opt<pegtl::not_at<close_paren>, pegtl::must<parameter>, ws,
                            pegtl::star<pegtl::one<','>, ws, pegtl::must<parameter>, ws>>,
                 pegtl::must<close_paren>> {};
struct body_end : pegtl::one<'}'> {};
struct body_start : pegtl::one<'{'> {};
struct mandate_body
    : pegtl::seq<pegtl::must<body_start>, ws, pegtl::star<clause, ws>, pegtl::must<body_end>> {};
struct mandate_decl
    : pegtl::seq<kw_mandate, ws, pegtl::must<mandate_name>, ws, pegtl::opt<parameter_list, ws>,
                 mandate_body> {};
struct end_of_file : pegtl::eof {};
struct policy_file : pegtl::seq<ws, pegtl::star<mandate_decl, ws>, pegtl::must<end_of_file>> {};

// What a must<> failure says, per rule.
template <typename Rule>
inline constexpr const char* error_message = nullptr;

template <>
inline constexpr auto error_message<mandate_name> =
    "expected a mandate name such as office_supplies";
template <>
inline constexpr auto error_message<body_start> =
    "expected '{' to open the mandate's clauses";
template <>
inline constexpr auto error_message<body_end> =
    "expected a clause (seller, domain, currency, amount, category, country, valid, budget, "
    "limit, require, decline, refunds) or '}'";
template <>
inline constexpr auto error_message<end_of_file> =
    "expected a mandate declaration: mandate NAME(PARAMETERS) { CLAUSES }";
template <> inline constexpr auto error_message<close_paren> = "expected ')'";
template <> inline constexpr auto error_message<open_paren> = "expected '('";
template <> inline constexpr auto error_message<colon> = "expected ':'";
template <> inline constexpr auto error_message<list_end> = "expected ',' or ']' in the list";
template <>
inline constexpr auto error_message<text_end> =
    "unterminated text: expected '\"' before the end of the line";
template <> inline constexpr auto error_message<expression> = "expected an expression";
template <>
inline constexpr auto error_message<list_operand> =
    "expected a list such as [\"a\", \"b\"] or a parameter";
template <> inline constexpr auto error_message<unary> = "expected an operand";
template <> inline constexpr auto error_message<multiplicative> = "expected an operand";
template <> inline constexpr auto error_message<additive> = "expected an operand";
template <> inline constexpr auto error_message<negation> = "expected an operand";
template <> inline constexpr auto error_message<conjunction> = "expected an operand";
template <> inline constexpr auto error_message<field_name> = "expected a field name after '.'";
template <>
inline constexpr auto error_message<identifier> =
    "expected a name (lower case letters, digits and '_', not a reserved word)";
template <> inline constexpr auto error_message<kw_in> = "expected 'in'";
template <> inline constexpr auto error_message<kw_when> = "expected 'when'";
template <> inline constexpr auto error_message<kw_decline> = "expected 'decline'";
template <>
inline constexpr auto error_message<kw_restore> = "expected 'restore' (refunds restore budget)";
template <>
inline constexpr auto error_message<kw_budget> = "expected 'budget' (refunds restore budget)";
template <>
inline constexpr auto error_message<kw_charges> =
    "expected 'charges': limit N charges per ...";
template <>
inline constexpr auto error_message<reason_code> =
    "expected a reason code such as item_not_allowed";
template <>
inline constexpr auto error_message<amount_op> =
    "expected a comparison: amount <= CAP, amount < CAP, amount >= MIN or amount > MIN";
template <>
inline constexpr auto error_message<valid_bounds> =
    "expected 'from TIME' and/or 'until TIME'";
template <>
inline constexpr auto error_message<window> =
    "expected a window: 'per day|week|month|year', 'per rolling DURATION' or 'total'";
template <>
inline constexpr auto error_message<period> =
    "expected 'day', 'week', 'month', 'year' or 'rolling DURATION' after 'per'";
template <> inline constexpr auto error_message<weekday> = "expected a weekday such as monday";
template <>
inline constexpr auto error_message<type_name> =
    "expected a type: text, int, money, time, duration, zone or list<TYPE>";
template <>
inline constexpr auto error_message<scalar_type> =
    "expected a type: text, int, money, time, duration or zone";
template <> inline constexpr auto error_message<type_close> = "expected '>'";
template <> inline constexpr auto error_message<pegtl::one<'<'>> = "expected '<' after list";
template <> inline constexpr auto error_message<parameter> = "expected a parameter: NAME: TYPE";

// Raises only where the grammar says must<>: a failed alternative elsewhere is
// backtracking, not an error.
template <typename Rule>
struct control : pegtl::normal<Rule> {
    template <typename ParseInput, typename... States>
    [[noreturn]] static void raise(const ParseInput& in, States&&... /*unused*/) {
        if constexpr (error_message<Rule> != nullptr) {
            throw pegtl::parse_error(error_message<Rule>, in);
        } else {
            throw pegtl::parse_error("unexpected input here", in);
        }
    }
};

}  // namespace mandate::grammar
