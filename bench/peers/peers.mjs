// The typical mandate of bench/decide_bench.cpp written as a CEL expression
// (@marcbachmann/cel-js) and as a Cedar policy (@cedar-policy/cedar-wasm),
// timed on the same stream of charges, beside the C++ engine's figures.
//
//   node bench/peers/peers.mjs [--cpp-json FILE | --decide-bench BINARY]
//                              [--out FILE] [--min-ms N] [--repetitions N]
//
// The script installs its own dependencies (npm ci into bench/peers/node_modules)
// on first run. It regenerates decide_bench's stream bit for bit (the same
// std::mt19937_64, seed 42, the same draws in the same order), decides it with a
// plain JavaScript reference, and stops with an error if CEL or Cedar ever
// answers differently. Neither peer has budgets: the spent amounts and the
// charge count are handed to them per charge, computed from the same warm state
// the C++ benchmark uses, and they compare them.

import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {cpus} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..', '..')

// ---- command line -------------------------------------------------------------

function parseArguments (argv) {
  const options = {
    cppJson: null,
    decideBench: join(root, 'build', 'release', 'bench', 'decide_bench'),
    out: join(root, 'build', 'bench-results', 'peers.json'),
    minMs: 500,
    repetitions: 5
  }
  for (let i = 0; i < argv.length; ++i) {
    const value = () => {
      if (i + 1 >= argv.length) fail(`${argv[i]} needs a value`)
      return argv[++i]
    }
    switch (argv[i]) {
      case '--cpp-json': options.cppJson = value(); break
      case '--decide-bench': options.decideBench = value(); break
      case '--out': options.out = value(); break
      case '--min-ms': options.minMs = positive(argv[i], value()); break
      case '--repetitions': options.repetitions = positive(argv[i], value()); break
      case '--help':
        console.log('usage: node bench/peers/peers.mjs [--cpp-json FILE | --decide-bench BINARY]' +
                    ' [--out FILE] [--min-ms N] [--repetitions N]')
        process.exit(0)
        break
      default: fail(`unknown argument ${argv[i]} (try --help)`)
    }
  }
  return options
}

function positive (name, text) {
  const n = Number(text)
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a whole number above zero`)
  return n
}

function fail (message) {
  console.error(`peers: ${message}`)
  process.exit(1)
}

// ---- dependencies -------------------------------------------------------------

// cel-js 8 declares node >= 20.19 but uses nothing newer than Node 18 has, and
// every answer is checked against the reference below, so an older Node only
// gets a warning. Debian 12's own nodejs is 18.19.
function checkNode () {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 18) fail(`Node.js ${process.versions.node} is too old; 18 or later is needed`)
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`peers: warning: Node.js ${process.versions.node} is older than the 20.19 ` +
                  '@marcbachmann/cel-js 8 declares; its answers are still checked')
  }
}

// npm ci when node_modules is missing or was installed from another lock file.
function installDependencies () {
  const lock = readFileSync(join(here, 'package-lock.json'), 'utf8')
  const installedLock = join(here, 'node_modules', '.package-lock.json')
  const stamp = join(here, 'node_modules', '.mandate-lock')
  if (existsSync(installedLock) && existsSync(stamp) && readFileSync(stamp, 'utf8') === lock) {
    return
  }
  console.error('peers: installing dependencies (npm ci) into bench/peers/node_modules')
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
               {cwd: here, stdio: ['ignore', 'inherit', 'inherit']})
  writeFileSync(stamp, lock)
}

function installedVersions () {
  const version = (name) =>
    JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version
  return {
    '@marcbachmann/cel-js': version('@marcbachmann/cel-js'),
    '@cedar-policy/cedar-wasm': version('@cedar-policy/cedar-wasm')
  }
}

// ---- the stream ---------------------------------------------------------------

// std::mt19937_64 as the C++ standard specifies it, so the stream matches
// decide_bench's charge for charge.
class Mt19937_64 {
  constructor (seed) {
    this.state = new Array(312)
    this.state[0] = BigInt.asUintN(64, BigInt(seed))
    for (let i = 1; i < 312; ++i) {
      const previous = this.state[i - 1]
      this.state[i] = BigInt.asUintN(64, 6364136223846793005n * (previous ^ (previous >> 62n)) +
                                         BigInt(i))
    }
    this.index = 312
  }

  next () {
    if (this.index >= 312) this.twist()
    let y = this.state[this.index++]
    y ^= (y >> 29n) & 0x5555555555555555n
    y ^= BigInt.asUintN(64, y << 17n) & 0x71D67FFFEDA60000n
    y ^= BigInt.asUintN(64, y << 37n) & 0xFFF7EEE000000000n
    y ^= y >> 43n
    return y
  }

  twist () {
    const upper = 0xFFFFFFFF80000000n
    const lower = 0x7FFFFFFFn
    for (let i = 0; i < 312; ++i) {
      const x = (this.state[i] & upper) | (this.state[(i + 1) % 312] & lower)
      let shifted = x >> 1n
      if (x & 1n) shifted ^= 0xB5026F5AA96619E9n
      this.state[i] = this.state[(i + 156) % 312] ^ shifted
    }
    this.index = 0
  }
}

// The standard's own check: the 10000th number from the default seed.
function checkGenerator () {
  const generator = new Mt19937_64(5489)
  let value = 0n
  for (let i = 0; i < 10000; ++i) value = generator.next()
  if (value !== 9981545732273789042n) fail('the mt19937_64 port is wrong; the stream would differ')
}

const sellers = ['acct_staples', 'acct_officedepot', 'acct_uline', 'acct_lookalike']
const microsPerSecond = 1000000
const utcMicros = (y, m, d) => Date.UTC(y, m - 1, d) * 1000
const validFrom = utcMicros(2026, 12, 1)
const validUntil = utcMicros(2027, 1, 1)
const hourMicros = 3600 * microsPerSecond

// decide_bench's warm state: forty approved charges earlier in the same hour.
function warmCharges () {
  const charges = []
  for (let i = 0; i < 40; ++i) {
    charges.push({
      seller: sellers[i % 3],
      currency: 'USD',
      amount: 500 + i,
      at: utcMicros(2026, 12, 15) + (15 * 3600 + i * 30) * microsPerSecond
    })
  }
  return charges
}

// decide_bench's stream: four draws per charge, in the order the C++ makes them.
function stream () {
  const random = new Mt19937_64(42)
  const charges = []
  for (let i = 0; i < 4096; ++i) {
    const roll = random.next() % 100n
    const amount = Number(random.next() % 20000n)
    const at = utcMicros(2026, 12, 15) +
               (15 * 3600 + 1200 + Number(random.next() % 2400n)) * microsPerSecond
    const seller = sellers[Number(random.next() % 4n)]
    charges.push({seller, currency: roll < 3n ? 'EUR' : 'USD', amount, at})
  }
  return charges
}

// The New York calendar day an instant falls in, as "YYYY-MM-DD".
const newYorkDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit'
})
const dayOf = (atMicros) => newYorkDay.format(new Date(atMicros / 1000))

// What the budgets and the limit have used when a charge arrives: the peers
// compare these, the C++ engine keeps them itself.
function usage (warm, charge) {
  const day = dayOf(charge.at)
  let daySpent = 0
  let totalSpent = 0
  let hourCount = 0
  for (const w of warm) {
    totalSpent += w.amount
    if (dayOf(w.at) === day) daySpent += w.amount
    if (w.at > charge.at - hourMicros) hourCount += 1
  }
  return {daySpent, totalSpent, hourCount}
}

// The plain JavaScript reference every peer must agree with.
function reference (c) {
  return sellers.slice(0, 3).includes(c.seller) &&
         c.currency === 'USD' &&
         c.amount <= 15000 &&
         c.at >= validFrom && c.at < validUntil &&
         c.daySpent + c.amount <= 40000 &&
         c.totalSpent + c.amount <= 500000 &&
         c.hourCount < 50
}

// ---- the peers ----------------------------------------------------------------

const celExpression = `
  seller in ["acct_staples", "acct_officedepot", "acct_uline"]
  && currency == "USD"
  && amount <= 15000
  && at >= ${validFrom} && at < ${validUntil}
  && day_spent + amount <= 40000
  && total_spent + amount <= 500000
  && hour_count < 50`

const cedarPolicy = `
permit (principal, action == Action::"charge", resource)
when {
  ["acct_staples", "acct_officedepot", "acct_uline"].contains(context.seller) &&
  context.currency == "USD" &&
  context.amount <= 15000 &&
  context.at >= ${validFrom} && context.at < ${validUntil} &&
  context.day_spent + context.amount <= 40000 &&
  context.total_spent + context.amount <= 500000 &&
  context.hour_count < 50
};`

// A peer: a name, the per-charge input it takes (built before timing), and
// its decision. `floor` peers evaluate a constant-true rule on the same input:
// what one call costs before any rule is looked at.
async function makeCel (expression, name) {
  const {Environment} = await import('@marcbachmann/cel-js')
  const environment = new Environment()
  for (const variable of ['seller', 'currency']) environment.registerVariable(variable, 'string')
  for (const variable of ['amount', 'at', 'day_spent', 'total_spent', 'hour_count']) {
    environment.registerVariable(variable, 'int')
  }
  const checked = environment.check(expression)
  if (!checked.valid) fail(`the CEL expression does not check: ${checked.error.message}`)
  const program = environment.parse(expression)
  // CEL's int is a 64-bit integer: cel-js wants BigInt for it.
  const contexts = (charges) => charges.map((c) => ({
    seller: c.seller,
    currency: c.currency,
    amount: BigInt(c.amount),
    at: BigInt(c.at),
    day_spent: BigInt(c.daySpent),
    total_spent: BigInt(c.totalSpent),
    hour_count: BigInt(c.hourCount)
  }))
  return {name, contexts, decide: (context) => program(context) === true}
}

async function makeCedar (policy, id, name) {
  const cedar = await import('@cedar-policy/cedar-wasm/nodejs')
  const parsed = cedar.preparsePolicySet(id, {staticPolicies: policy})
  if (parsed.type !== 'success') {
    fail(`the Cedar policy does not parse: ${JSON.stringify(parsed.errors)}`)
  }
  // Cedar's Long is a 64-bit integer; every value here is below 2^53, so a
  // JavaScript number carries it exactly.
  const contexts = (charges) => charges.map((c) => ({
    principal: {type: 'Agent', id: 'agent'},
    action: {type: 'Action', id: 'charge'},
    resource: {type: 'Token', id: 'spt_typical'},
    context: {
      seller: c.seller,
      currency: c.currency,
      amount: c.amount,
      at: c.at,
      day_spent: c.daySpent,
      total_spent: c.totalSpent,
      hour_count: c.hourCount
    },
    preparsedPolicySetId: id,
    entities: []
  }))
  const decide = (call) => {
    const answer = cedar.statefulIsAuthorized(call)
    if (answer.type !== 'success') fail(`Cedar failed: ${JSON.stringify(answer.errors)}`)
    if (answer.response.diagnostics.errors.length > 0) {
      fail(`Cedar evaluation errors: ${JSON.stringify(answer.response.diagnostics.errors)}`)
    }
    return answer.response.decision === 'allow'
  }
  return {name, contexts, decide}
}

async function makePeers () {
  return [
    {...await makeCel(celExpression, 'CEL (@marcbachmann/cel-js)'), floor: false},
    {...await makeCedar(cedarPolicy, 'typical', 'Cedar (@cedar-policy/cedar-wasm)'), floor: false},
    {...await makeCel('true', 'CEL floor: `true`, same input'), floor: true},
    {
      ...await makeCedar('permit (principal, action, resource);', 'floor',
                         'Cedar floor: bare permit, same input'),
      floor: true
    }
  ]
}

// ---- timing -------------------------------------------------------------------

let sink = 0

// Whole passes over the stream until at least minMs of wall time have gone by.
// Returns ns per check by the wall clock and by the process's CPU time (user
// plus system, every thread of the process: V8's compiler and garbage
// collector threads included).
function timePasses (peer, contexts, minMs) {
  const minNs = BigInt(minMs) * 1000000n
  let checks = 0
  let approved = 0
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  let elapsed = 0n
  do {
    for (let i = 0; i < contexts.length; ++i) approved += peer.decide(contexts[i]) ? 1 : 0
    checks += contexts.length
    elapsed = process.hrtime.bigint() - start
  } while (elapsed < minNs)
  const cpu = process.cpuUsage(cpuStart)
  sink += approved // keeps the answers observable
  return {wallNs: Number(elapsed) / checks, cpuNs: (cpu.user + cpu.system) * 1000 / checks}
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// ---- the C++ figures ----------------------------------------------------------

function cppFigures (options) {
  let report
  if (options.cppJson) {
    report = JSON.parse(readFileSync(options.cppJson, 'utf8'))
  } else {
    if (!existsSync(options.decideBench)) {
      fail(`no ${options.decideBench}: build it (cmake --build --preset release) or pass ` +
           '--cpp-json FILE')
    }
    console.error(`peers: running ${options.decideBench}`)
    const out = execFileSync(options.decideBench, [
      '--benchmark_format=json', '--benchmark_filter=^(compiled_mandate|native_twin)$',
      `--benchmark_repetitions=${options.repetitions}`, '--benchmark_report_aggregates_only=true'
    ], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20})
    report = JSON.parse(out)
  }
  // The median aggregate when repetitions were run, else the median of the runs.
  const pick = (name) => {
    const runs = (report.benchmarks ?? []).filter((b) => (b.run_name ?? b.name) === name &&
                                                         !b.error_occurred)
    const scale = (b) => ({ns: 1, us: 1e3, ms: 1e6, s: 1e9}[b.time_unit ?? 'ns'])
    const figures = (b) => ({
      wallNs: b.real_time * scale(b), cpuNs: b.cpu_time * scale(b), approvedShare: b.approved_share
    })
    const aggregate = runs.find((b) => b.aggregate_name === 'median')
    if (aggregate) return figures(aggregate)
    const plain = runs.filter((b) => b.run_type !== 'aggregate').map(figures)
    if (plain.length === 0) fail(`no ${name} benchmark in the C++ report`)
    return {
      wallNs: median(plain.map((f) => f.wallNs)),
      cpuNs: median(plain.map((f) => f.cpuNs)),
      approvedShare: plain[0].approvedShare
    }
  }
  return {context: report.context, engine: pick('compiled_mandate'), twin: pick('native_twin')}
}

// ---- main ---------------------------------------------------------------------

async function main () {
  const options = parseArguments(process.argv.slice(2))
  checkNode()
  installDependencies()
  checkGenerator()

  const warm = warmCharges()
  const charges = stream().map((c) => ({...c, ...usage(warm, c)}))
  const expected = charges.map(reference)
  const approvedShare = expected.filter(Boolean).length / expected.length

  const cpp = cppFigures(options)
  // The C++ share is counted over many passes of the same 4,096 charges; the
  // two can differ only by the partial pass at the end.
  if (cpp.engine.approvedShare !== undefined &&
      Math.abs(cpp.engine.approvedShare - approvedShare) > 0.002) {
    fail(`the C++ engine approves ${cpp.engine.approvedShare} of its stream, the JavaScript ` +
         `reference ${approvedShare} of this one: the streams differ`)
  }

  const rows = []
  for (const peer of await makePeers()) {
    const contexts = peer.contexts(charges)
    // Every answer must match the reference before any timing counts.
    for (let i = 0; i < contexts.length; ++i) {
      const answer = peer.decide(contexts[i])
      const want = peer.floor ? true : expected[i]
      if (answer !== want) {
        fail(`${peer.name} answers ${answer} for charge ${i} ` +
             `${JSON.stringify(charges[i])}; the reference answers ${want}`)
      }
    }
    timePasses(peer, contexts, options.minMs) // warm-up: let the JIT settle
    const samples = []
    for (let r = 0; r < options.repetitions; ++r) {
      samples.push(timePasses(peer, contexts, options.minMs))
      const last = samples.at(-1)
      process.stderr.write(`peers: ${peer.name}: ${last.cpuNs.toFixed(1)} ns CPU, ` +
                           `${last.wallNs.toFixed(1)} ns wall a check\n`)
    }
    rows.push({
      engine: peer.name,
      cpu_ns_per_check: median(samples.map((s) => s.cpuNs)),
      wall_ns_per_check: median(samples.map((s) => s.wallNs)),
      samples
    })
  }

  const table = [
    {
      engine: 'mandate (C++, mandate::decide)',
      cpu_ns_per_check: cpp.engine.cpuNs,
      wall_ns_per_check: cpp.engine.wallNs
    },
    {
      engine: 'native twin (hand-written C++)',
      cpu_ns_per_check: cpp.twin.cpuNs,
      wall_ns_per_check: cpp.twin.wallNs
    },
    ...rows
  ].map((row) => ({...row, cpu_vs_mandate: row.cpu_ns_per_check / cpp.engine.cpuNs}))

  const result = {
    what: 'ns per check of the typical mandate of bench/decide_bench.cpp; the peers compare ' +
          'given spent amounts and counts instead of keeping budgets',
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.versions.node,
      packages: installedVersions(),
      v8: process.versions.v8,
      cpp_context: cpp.context
    },
    charges: charges.length,
    approved_share: approvedShare,
    repetitions: options.repetitions,
    min_ms_per_repetition: options.minMs,
    results: table
  }
  mkdirSync(dirname(resolve(options.out)), {recursive: true})
  writeFileSync(options.out, JSON.stringify(result, null, 2) + '\n')

  const width = Math.max(...table.map((row) => row.engine.length))
  console.log(`The typical mandate, ${charges.length} charges, ` +
              `${(approvedShare * 100).toFixed(1)}% approved; ns per check, ` +
              `median of ${options.repetitions}`)
  console.log(`${'engine'.padEnd(width)}  ${'CPU ns'.padStart(10)}  ${'wall ns'.padStart(10)}  ` +
              `${'CPU vs mandate'.padStart(14)}`)
  for (const row of table) {
    console.log(`${row.engine.padEnd(width)}  ${row.cpu_ns_per_check.toFixed(1).padStart(10)}  ` +
                `${row.wall_ns_per_check.toFixed(1).padStart(10)}  ` +
                `${(row.cpu_vs_mandate.toFixed(2) + 'x').padStart(14)}`)
  }
  console.log(`(JSON: ${options.out})`)
}

await main()
