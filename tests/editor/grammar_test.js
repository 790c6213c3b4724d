// Tokenizes .mandate files with vscode-textmate (the engine VS Code uses) and the
// grammar in editors/vscode, then checks that:
//   - every visible character of every file given gets a scope beyond the
//     file's own (nothing falls through unhighlighted), and none is `invalid`;
//   - the tokens of a reference policy get the scopes a theme relies on.
// Usage: node grammar_test.js FILE.mandate...   (exit 1 on any failure)
'use strict';

const fs = require('fs');
const path = require('path');
const textmate = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.resolve(__dirname, '..', '..');
const grammarPath = path.join(root, 'editors', 'vscode', 'syntaxes', 'mandate.tmLanguage.json');

async function loadGrammar() {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new textmate.Registry({
        onigLib: Promise.resolve({
            createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
            createOnigString: (text) => new oniguruma.OnigString(text),
        }),
        loadGrammar: async (scopeName) => {
            if (scopeName !== 'source.mandate') return null;
            return textmate.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath);
        },
    });
    return registry.loadGrammar('source.mandate');
}

// [{line, text, scopes}] for every token of `source`.
function tokenize(grammar, source) {
    const tokens = [];
    let state = textmate.INITIAL;
    source.split('\n').forEach((line, index) => {
        const result = grammar.tokenizeLine(line, state);
        for (const token of result.tokens) {
            tokens.push({
                line: index + 1,
                text: line.slice(token.startIndex, token.endIndex),
                scopes: token.scopes,
            });
        }
        state = result.ruleStack;
    });
    return tokens;
}

const failures = [];
function fail(message) {
    failures.push(message);
}

function checkCoverage(file, tokens) {
    for (const token of tokens) {
        const innermost = token.scopes[token.scopes.length - 1];
        if (token.scopes.some((scope) => scope.startsWith('invalid'))) {
            fail(`${file}:${token.line}: '${token.text}' is marked invalid (${innermost})`);
        }
        const visible = token.text.replace(/[\s{}]/g, '');
        if (visible.length > 0 && token.scopes.length === 1) {
            fail(`${file}:${token.line}: '${token.text}' has no scope`);
        }
    }
}

// The reference policy: each [token, scope] pair must be found, in this order.
const reference = `# Office supplies
mandate office(limit_per_week: money = 25.00 USD, zone: zone = "America/New_York") {
  seller in ["acct_staples", "acct_uline"]
  currency USD
  amount <= 150.00 USD
  valid from 2026-12-01T00:00:00Z until 2027-01-01T00:00:00Z
  budget limit_per_week per week starting monday in zone
  limit 5 charges per rolling 1h
  require every item in charge.items: item.quantity <= 10 else decline too_many
  decline sanctioned when charge.seller.country in ["KP"]
  refunds restore budget
}
`;
const expected = [
    ['#', 'comment.line.number-sign.mandate'],
    [' Office supplies', 'comment.line.number-sign.mandate'],
    ['mandate', 'storage.type.mandate.mandate'],
    ['office', 'entity.name.function.mandate'],
    ['limit_per_week', 'variable.parameter.mandate'],
    ['money', 'support.type.mandate'],
    ['25.00', 'constant.numeric.money.mandate'],
    ['USD', 'constant.other.currency.mandate'],
    ['America/New_York', 'string.quoted.double.mandate'],
    ['seller', 'keyword.other.clause.mandate'],
    ['in', 'keyword.operator.logical.mandate'],
    ['acct_staples', 'string.quoted.double.mandate'],
    ['currency', 'keyword.other.clause.mandate'],
    ['USD', 'constant.other.currency.mandate'],
    ['amount', 'keyword.other.clause.mandate'],
    ['<=', 'keyword.operator.comparison.mandate'],
    ['150.00', 'constant.numeric.money.mandate'],
    ['valid', 'keyword.other.clause.mandate'],
    ['from', 'keyword.other.mandate'],
    ['2026-12-01T00:00:00Z', 'constant.other.time.mandate'],
    ['until', 'keyword.other.mandate'],
    ['budget', 'keyword.other.clause.mandate'],
    ['limit_per_week', 'variable.other.mandate'],
    ['per', 'keyword.other.window.mandate'],
    ['week', 'constant.language.period.mandate'],
    ['starting', 'keyword.other.window.mandate'],
    ['monday', 'constant.language.period.mandate'],
    ['limit', 'keyword.other.clause.mandate'],
    ['5', 'constant.numeric.mandate'],
    ['charges', 'keyword.other.mandate'],
    ['rolling', 'keyword.other.window.mandate'],
    ['1h', 'constant.numeric.duration.mandate'],
    ['require', 'keyword.other.clause.mandate'],
    ['every', 'keyword.control.quantifier.mandate'],
    ['charge', 'variable.language.charge.mandate'],
    ['items', 'variable.other.member.mandate'],
    ['else', 'keyword.control.else.mandate'],
    ['too_many', 'constant.other.reason.mandate'],
    ['decline', 'keyword.control.decline.mandate'],
    ['sanctioned', 'constant.other.reason.mandate'],
    ['when', 'keyword.control.when.mandate'],
    ['refunds', 'keyword.other.clause.mandate'],
];

function checkReference(grammar) {
    const tokens = tokenize(grammar, reference);
    let at = 0;
    for (const [text, scope] of expected) {
        let found = false;
        for (; at < tokens.length; ++at) {
            const token = tokens[at];
            if (token.text !== text) continue;
            if (!token.scopes.includes(scope)) {
                fail(`reference: '${text}' has scopes ${token.scopes.join(' ')}, expected ${scope}`);
            }
            found = true;
            ++at;
            break;
        }
        if (!found) {
            fail(`reference: token '${text}' not found in order`);
            return;
        }
    }
    checkCoverage('reference', tokens);
}

(async () => {
    const grammar = await loadGrammar();
    checkReference(grammar);
    const files = process.argv.slice(2);
    for (const file of files) {
        checkCoverage(path.relative(root, file), tokenize(grammar, fs.readFileSync(file, 'utf8')));
    }
    for (const message of failures) console.error(`FAIL ${message}`);
    console.log(`${files.length + 1} files tokenized, ${failures.length} failures`);
    process.exit(failures.length === 0 ? 0 : 1);
})().catch((error) => {
    console.error(error);
    process.exit(1);
});
