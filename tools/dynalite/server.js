#!/usr/bin/env node
/*
 * dynalite + TransactWriteItems.
 *
 * Why: dynalite 4.0.0 (pinned in package.json) has no TransactWriteItems, and the upstream
 * pull requests were never merged (see architect/dynalite#143). The app writes its metric
 * counters with PynamoDB's TransactWrite, so without it those code paths cannot run against
 * dynalite. This launcher adds the operation WITHOUT modifying the installed package:
 *
 *   node tools/dynalite/server.js --port 4567 --createTableMs 0 --deleteTableMs 0 --updateTableMs 0
 *
 * (options: --port, --host, and any other dynalite option as --name value, e.g. --path).
 *
 * How: it captures dynalite's store by wrapping `db.create` before dynalite is loaded, and
 * puts its own 'request' listener in front of dynalite's: the x-amz-targets handled here go
 * to the code below, everything else goes to dynalite unchanged. For each TransactItem it
 * builds the equivalent PutItem / UpdateItem / DeleteItem request (a ConditionCheck is
 * validated as a DeleteItem) and runs dynalite's own validations on it, so expressions are
 * parsed exactly as dynalite does. Then:
 *   1. every item's lock (the same per-key locks dynalite's single-item writes take) is taken
 *      in one global order (table, key), so transactions cannot deadlock and are serialised
 *      against PutItem/UpdateItem/DeleteItem/BatchWriteItem on the same items;
 *   2. under the locks, every old item is read and every condition checked;
 *   3. dynalite's real actions run in a dry run against a store whose item/index dbs only
 *      record writes (and whose locks are pass-through), so update expressions, index
 *      maintenance and size checks are dynalite's own code;
 *   4. if any condition failed or any action errored, nothing is written and the answer is
 *      TransactionCanceledException with one CancellationReason per item, in request order
 *      (ConditionalCheckFailed / ValidationError / None; `Item` with
 *      ReturnValuesOnConditionCheckFailure=ALL_OLD); otherwise the recorded writes are
 *      applied in one batch of the underlying LevelDB (atomic for readers too).
 *
 * Known limits / deviations from DynamoDB:
 *   - ClientRequestToken is accepted and ignored: no idempotency (a retried request is
 *     applied again) and no IdempotentParameterMismatchException.
 *   - No TransactionConflictException / TransactionInProgressException: conflicting
 *     transactions and single-item writes wait for each other instead of failing.
 *   - Plain GetItem/Query/Scan take no locks, as in dynalite; they see a transaction all or
 *     nothing only because its writes land in one LevelDB batch.
 *   - The 4 MB aggregate request limit is not checked; authentication headers are not
 *     checked for these operations; ConsumedCapacity is approximate (2 x item write units);
 *     ItemCollectionMetrics are never returned.
 *   - Validation messages for an item are dynalite's single-item messages (no
 *     'transactItems.N.member' prefix).
 */
'use strict'

const crypto = require('crypto')
const path = require('path')
const db = require('dynalite/db') // same module object as dynalite's own require('./db')
const validations = require('dynalite/validations')
const crc32 = require(require.resolve('buffer-crc32', { paths: [ path.dirname(require.resolve('dynalite')) ] }))

let store
const realCreate = db.create
db.create = function (options) { return (store = realCreate.apply(this, arguments)) }
const dynalite = require('dynalite')

const actions = {
  Put: require('dynalite/actions/putItem'),
  Update: require('dynalite/actions/updateItem'),
  Delete: require('dynalite/actions/deleteItem'),
}
const checks = { // validation module and the fields a TransactItem of that kind may carry
  Put: [ require('dynalite/validations/putItem'), [ 'Item', 'ConditionExpression' ] ],
  Update: [ require('dynalite/validations/updateItem'), [ 'Key', 'UpdateExpression', 'ConditionExpression' ] ],
  Delete: [ require('dynalite/validations/deleteItem'), [ 'Key', 'ConditionExpression' ] ],
  ConditionCheck: [ require('dynalite/validations/deleteItem'), [ 'Key', 'ConditionExpression' ] ],
}
const COMMON = [ 'TableName', 'ExpressionAttributeNames', 'ExpressionAttributeValues' ]
const CAPACITY = { type: 'String', enum: [ 'INDEXES', 'TOTAL', 'NONE' ] }

function validationError (msg) { return db.validationError(msg) }

// ---- request validation -----------------------------------------------------------------

// Returns [{ kind, req, returnOld }] for the TransactItems, or throws a dynalite-style error.
function parseItems (data, kinds) {
  if (data == null || typeof data != 'object' || (data.TransactItems != null && !Array.isArray(data.TransactItems)))
    throw Object.assign(new Error('serialization'), { statusCode: 400, body: { __type: 'com.amazon.coral.service#SerializationException' } })
  validations.checkValidations(data, {
    TransactItems: { notNull: true, lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: 100 },
    ClientRequestToken: { lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: 36 },
    ReturnConsumedCapacity: CAPACITY,
  })
  return data.TransactItems.map(function (transactItem) {
    const present = kinds.filter(k => transactItem && transactItem[k] != null)
    if (present.length != 1)
      throw validationError('TransactItems can only contain one of ' + kinds.join(', '))
    const kind = present[0], raw = transactItem[kind], [ check, fields ] = checks[kind]
    if (typeof raw != 'object') throw validationError('Invalid ' + kind + ' in TransactItems')
    let req = {}
    for (const f of COMMON.concat(fields)) if (raw[f] != null) req[f] = raw[f]
    if (data.ReturnConsumedCapacity) req.ReturnConsumedCapacity = data.ReturnConsumedCapacity
    req = validations.checkTypes(req, check.types)
    validations.checkValidations(req, check.types, check.custom, store)
    if (kind == 'Update' && req.UpdateExpression == null)
      throw validationError('1 validation error detected: Value null at \'updateExpression\' failed to satisfy constraint: Member must not be null')
    if (kind == 'ConditionCheck' && req.ConditionExpression == null)
      throw validationError('1 validation error detected: Value null at \'conditionExpression\' failed to satisfy constraint: Member must not be null')
    const rv = raw.ReturnValuesOnConditionCheckFailure
    if (rv != null && rv != 'ALL_OLD' && rv != 'NONE')
      throw validationError('1 validation error detected: Value \'' + rv + '\' at \'returnValuesOnConditionCheckFailure\' ' +
        'failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]')
    return { kind, req, returnOld: rv == 'ALL_OLD' }
  })
}

// Looks up the tables, checks keys against their schemas, computes each item's key and
// rejects two operations on one item. Adds { table, key } to every entry.
function resolveKeys (entries, cb) {
  let pending = entries.length, failed = false
  entries.forEach(function (entry) {
    store.getTable(entry.req.TableName, function (err, table) {
      if (failed) return
      if (err) { failed = true; return cb(err) }
      entry.table = table
      if (--pending) return
      const seen = new Set()
      for (const e of entries) {
        const keyAttrs = e.kind == 'Put' ? e.req.Item : e.req.Key
        const invalid = (e.kind == 'Put' ? db.validateItem(keyAttrs, e.table) : db.validateKey(keyAttrs, e.table)) ||
          (e.kind == 'Update' ? db.validateUpdates(null, e.req._updates, e.table) : null)
        if (invalid) return cb(invalid)
        e.key = db.createKey(keyAttrs, e.table)
        const id = e.req.TableName + '\u0000' + e.key
        if (seen.has(id)) return cb(validationError('Transaction request cannot include multiple operations on one item'))
        seen.add(id)
      }
      cb(null)
    })
  })
}

// ---- locking, reading, committing ----------------------------------------------------------

// Takes every entry's item lock in one global (table, key) order; cb(releaseAll).
function lockAll (entries, cb) {
  const ordered = entries.slice().sort((a, b) =>
    a.req.TableName < b.req.TableName ? -1 : a.req.TableName > b.req.TableName ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  const releases = []
  ;(function next (i) {
    if (i == ordered.length) return cb(() => releases.splice(0).forEach(release => release()()))
    store.getItemDb(ordered[i].req.TableName).lock(ordered[i].key, function (release) {
      releases.push(release)
      next(i + 1)
    })
  })(0)
}

function readOld (entry, cb) {
  store.getItemDb(entry.req.TableName).get(entry.key, function (err, item) {
    if (err && err.name != 'NotFoundError' && err.code != 'LEVEL_NOT_FOUND') return cb(err)
    entry.old = err ? undefined : item
    cb(null)
  })
}

// A store whose item and index dbs record put/del into `writes` instead of writing, and
// whose item locks are pass-through (the transaction already holds them). Reads are real.
function recordingStore (writes) {
  const recording = real => Object.assign(Object.create(real), {
    lock: (key, fn) => fn(done => done),
    put: (key, value, cb) => { writes.push({ db: real, type: 'put', key, value }); setImmediate(cb) },
    del: (key, cb) => { writes.push({ db: real, type: 'del', key }); setImmediate(cb) },
  })
  return Object.assign(Object.create(store), {
    getItemDb: name => recording(store.getItemDb(name)),
    getIndexDb: (type, table, index) => recording(store.getIndexDb(type, table, index)),
  })
}

// Applies the recorded writes. dynalite's sub-dbs prefix their keys and pass them on to
// store.db.batch synchronously, so collecting those prefixed operations gives one batch of
// the main LevelDB (atomic). If that ever stops holding (another dynalite version), the
// transaction fails rather than being written non-atomically.
function commit (writes, cb) {
  const ops = [], mainBatch = store.db.batch
  store.db.batch = prefixed => { ops.push(...prefixed) }
  try {
    for (const w of writes) w.db.batch([ w.type == 'put' ? { type: 'put', key: w.key, value: w.value } : { type: 'del', key: w.key } ], () => {})
  }
  finally { store.db.batch = mainBatch }
  if (ops.length != writes.length)
    return cb(new Error('dynalite no longer batches sub-db writes synchronously: cannot commit atomically'))
  return ops.length ? store.db.batch(ops, cb) : cb(null)
}

function series (entries, fn, cb) {
  ;(function next (i) {
    if (i == entries.length) return cb(null)
    fn(entries[i], err => err ? cb(err) : next(i + 1))
  })(0)
}

// ---- the operations ---------------------------------------------------------------------------

function transactWriteItems (data, cb) {
  const entries = parseItems(data, [ 'ConditionCheck', 'Put', 'Delete', 'Update' ])
  resolveKeys(entries, function (err) {
    if (err) return cb(err)
    lockAll(entries, function (releaseAll) {
      const done = function () { releaseAll(); cb.apply(null, arguments) }
      series(entries, readOld, function (err) {
        if (err) return done(err)
        const writes = []
        const proxy = recordingStore(writes)
        series(entries, function (entry, next) {
          entry.reason = { Code: 'None' }
          if (db.checkConditional(entry.req, entry.old)) {
            entry.reason = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
            if (entry.returnOld && entry.old) entry.reason.Item = entry.old
            return next()
          }
          if (entry.kind == 'ConditionCheck') {
            entry.units = db.capacityUnits(entry.old)
            return next()
          }
          try {
            actions[entry.kind](proxy, entry.req, function (err, result) {
              if (err && !err.statusCode) return next(err)
              const failedCheck = err && /ConditionalCheckFailed/.test(err.body.__type) // cannot happen under the locks
              if (err) entry.reason = { Code: failedCheck ? 'ConditionalCheckFailed' : 'ValidationError', Message: err.body.message || err.message }
              else entry.units = result.ConsumedCapacity ? result.ConsumedCapacity.CapacityUnits : 0
              next()
            })
          }
          catch (err) { next(err) }
        }, function (err) {
          if (err) return done(err)
          const reasons = entries.map(e => e.reason)
          if (reasons.some(r => r.Code != 'None')) {
            return done(Object.assign(new Error('TransactionCanceled'), { statusCode: 400, body: {
              __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
              message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [' +
                reasons.map(r => r.Code).join(', ') + ']',
              CancellationReasons: reasons,
            } }))
          }
          commit(writes, function (err) {
            if (err) return done(err)
            done(null, withCapacity({}, data.ReturnConsumedCapacity, entries, 2))
          })
        })
      })
    })
  })
}

// Transactions cost two underlying reads/writes per item; summed per table.
function withCapacity (result, mode, entries, factor) {
  if (mode != 'TOTAL' && mode != 'INDEXES') return result
  const perTable = new Map()
  for (const e of entries) perTable.set(e.req.TableName, (perTable.get(e.req.TableName) || 0) + factor * (e.units || 0))
  result.ConsumedCapacity = Array.from(perTable, ([ TableName, CapacityUnits ]) =>
    mode == 'INDEXES' ? { TableName, CapacityUnits, Table: { CapacityUnits } } : { TableName, CapacityUnits })
  return result
}

const handlers = {
  'DynamoDB_20120810.TransactWriteItems': transactWriteItems,
}

// ---- HTTP -------------------------------------------------------------------------------------

function send (req, res, statusCode, data) {
  const body = JSON.stringify(data)
  const type = (req.headers['content-type'] || '').split(';')[0].trim()
  res.statusCode = statusCode
  res.setHeader('x-amzn-RequestId', crypto.randomBytes(39).toString('base64').toUpperCase().replace(/\+|\//g, '0'))
  res.setHeader('x-amz-crc32', crc32.unsigned(body))
  res.setHeader('Content-Type', type == 'application/x-amz-json-1.0' ? type : 'application/json')
  res.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'))
  res.end(body)
}

function handle (operation, req, res) {
  const chunks = []
  req.on('error', err => console.error('[server.js] request error', err))
  req.on('data', chunk => chunks.push(chunk))
  req.on('end', function () {
    const reply = function (err, result) {
      if (err && err.statusCode) return send(req, res, err.statusCode, err.body)
      if (err) {
        console.error('[server.js] internal error', err)
        return send(req, res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err.message) })
      }
      send(req, res, 200, result)
    }
    let data
    try { data = JSON.parse(Buffer.concat(chunks).toString() || 'null') }
    catch { return send(req, res, 400, { __type: 'com.amazon.coral.service#SerializationException' }) }
    try { operation(data, reply) }
    catch (err) { reply(err) }
  })
}

function parseArgs (argv) {
  const options = {}
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i])
    if (!m) throw new Error('unexpected argument: ' + argv[i])
    let value = m[2]
    if (value === undefined) value = argv[i + 1] != null && !argv[i + 1].startsWith('--') ? argv[++i] : true
    options[m[1]] = typeof value == 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value
  }
  return options
}

const options = parseArgs(process.argv.slice(2))
const server = dynalite(options)
const [ dynaliteListener ] = server.listeners('request')
server.removeAllListeners('request')
server.on('request', function (req, res) {
  const operation = req.method == 'POST' && handlers[req.headers['x-amz-target']]
  if (operation) return handle(operation, req, res)
  dynaliteListener(req, res)
})

server.listen(options.port || 4567, options.host || undefined, function () {
  console.log('Dynalite (+TransactWriteItems) listening at: http://%s:%s', options.host || 'localhost', server.address().port)
})

function shutdown () {
  setTimeout(() => process.exit(1), 5000).unref()
  server.close(err => process.exit(err ? 1 : 0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
