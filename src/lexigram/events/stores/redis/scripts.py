"""The Lua scripts of the Redis stores (see ``keys`` for the layout they work on).

Redis runs each script atomically, so a check and the writes it guards are never interleaved with
another client. Every script checks the types of the keys it writes before its first write: a
script that fails half-way is not rolled back, so the only failure after the first write would be
the server running out of memory. Positions and versions are formatted with ``%d``, never
``tostring`` (which turns large numbers into exponent notation).
"""

from __future__ import annotations

__all__ = [
    "APPEND",
    "COMPACT",
    "COUNT",
    "DELETE_STREAM",
    "READ_STREAM",
    "SCAN_LOG",
    "SCAN_LOG_ENVELOPES",
    "SCAN_STREAM_IDS",
    "SNAPSHOT_DELETE_OLD",
    "SNAPSHOT_GET",
    "SNAPSHOT_SAVE",
    "STREAM_INFO",
]

_FIELD = """
local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return false
end
"""

_EXPECT_TYPES = """
local function expect_type(key, kind)
  local actual = redis.call('TYPE', key)['ok']
  if actual ~= 'none' and actual ~= kind then
    return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. actual .. ', not a ' .. kind)
  end
  return false
end
"""

_DELETE_ENTRIES = """
local function delete_entries(log, positions)
  for i = 1, #positions, 500 do
    local ids = {}
    for j = i, math.min(i + 499, #positions) do ids[#ids + 1] = positions[j] .. '-0' end
    redis.call('XDEL', log, unpack(ids))
  end
end
"""

APPEND = (
    _EXPECT_TYPES
    + """
-- KEYS: version, events, info, log, position, streams
-- ARGV: stream id, expected version (-1: any), partition hash, aggregate type ('' for none),
--       then event type, occurred_at and data for each event
local failed = expect_type(KEYS[1], 'string') or expect_type(KEYS[2], 'zset') or expect_type(KEYS[3], 'hash')
  or expect_type(KEYS[4], 'stream') or expect_type(KEYS[5], 'string') or expect_type(KEYS[6], 'set')
if failed then return failed end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local expected = tonumber(ARGV[2])
if expected >= 0 and expected ~= current then return {0, current} end
local count = (#ARGV - 4) / 3
local last = redis.call('INCRBY', KEYS[5], string.format('%d', count))
local first = last - count + 1
for i = 0, count - 1 do
  local position = string.format('%d', first + i)
  local version = string.format('%d', current + 1 + i)
  local base = 4 + 3 * i
  redis.call('XADD', KEYS[4], position .. '-0', 's', ARGV[1], 'v', version, 't', ARGV[base + 1],
             'h', ARGV[3], 'a', ARGV[base + 2], 'd', ARGV[base + 3])
  redis.call('ZADD', KEYS[2], version, position)
end
redis.call('SET', KEYS[1], string.format('%d', current + count))
redis.call('SADD', KEYS[6], ARGV[1])
if ARGV[4] ~= '' then redis.call('HSETNX', KEYS[3], 'aggregate_type', ARGV[4]) end
return {1, current + count, first}
"""
)

READ_STREAM = (
    _FIELD
    + """
-- KEYS: events, log.  ARGV: first version, last version ('+inf'), limit (-1: all)
-- Returns position, version, data for each event.
local positions = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, ARGV[3])
local out = {}
for _, position in ipairs(positions) do
  local entry = redis.call('XRANGE', KEYS[2], position .. '-0', position .. '-0')[1]
  if entry then
    out[#out + 1] = position
    out[#out + 1] = field(entry[2], 'v')
    out[#out + 1] = field(entry[2], 'd')
  end
end
return out
"""
)


def _scan_log(with_stream_id: bool) -> str:
    """The log scan, returning position, version and data per event (and the stream id when asked)."""
    returned = "position, version, data, stream id" if with_stream_id else "position, version, data"
    keep_stream_id = "\n      out[#out + 1] = field(fields, 's')" if with_stream_id else ""
    return (
        _FIELD
        + f"""
-- KEYS: log.  ARGV: after position, limit (-1: none), scan budget, total partitions (0: all),
--       partition index, then the event types to keep (none: every type)
-- Reads at most the budget of entries after the position and keeps those that match.
-- Returns {{last position read, 1 when the log has no more entries, {{{returned}, ...}}}}.
local limit = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local total = tonumber(ARGV[4])
local index = tonumber(ARGV[5])
local wanted = false
if #ARGV > 5 then
  wanted = {{}}
  for i = 6, #ARGV do wanted[ARGV[i]] = true end
end
local out = {{}}
local found = 0
local scanned = 0
local last = ARGV[1]
local start = '(' .. last .. '-0'
if last == '0' then start = '-' end
while scanned < budget do
  local chunk = math.min(budget - scanned, 200)
  local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', chunk)
  for _, entry in ipairs(entries) do
    scanned = scanned + 1
    local id = entry[1]
    last = string.sub(id, 1, string.find(id, '-', 1, true) - 1)
    local fields = entry[2]
    local keep = true
    if total > 0 and tonumber(field(fields, 'h')) % total ~= index then keep = false end
    if keep and wanted and not wanted[field(fields, 't')] then keep = false end
    if keep then
      out[#out + 1] = last
      out[#out + 1] = field(fields, 'v')
      out[#out + 1] = field(fields, 'd'){keep_stream_id}
      found = found + 1
      if found == limit then return {{last, 0, out}} end
    end
    start = '(' .. id
  end
  if #entries < chunk then return {{last, 1, out}} end
end
return {{last, 0, out}}
"""
    )


SCAN_LOG = _scan_log(with_stream_id=False)
SCAN_LOG_ENVELOPES = _scan_log(with_stream_id=True)

STREAM_INFO = (
    _FIELD
    + """
-- KEYS: version, events, info, log.
-- Returns nil for an unknown stream, else {version, stored count, first occurred_at, last occurred_at,
-- aggregate type}.
local version = redis.call('GET', KEYS[1])
if not version then return false end
local count = redis.call('ZCARD', KEYS[2])
local first_at, last_at = false, false
if count > 0 then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  local last = redis.call('ZRANGE', KEYS[2], -1, -1)[1]
  first_at = field(redis.call('XRANGE', KEYS[4], first .. '-0', first .. '-0')[1][2], 'a')
  last_at = field(redis.call('XRANGE', KEYS[4], last .. '-0', last .. '-0')[1][2], 'a')
end
return {version, count, first_at, last_at, redis.call('HGET', KEYS[3], 'aggregate_type')}
"""
)

COMPACT = (
    _EXPECT_TYPES
    + _DELETE_ENTRIES
    + """
-- KEYS: events, log.  ARGV: the highest version to delete.  Returns how many events were deleted.
local failed = expect_type(KEYS[1], 'zset') or expect_type(KEYS[2], 'stream')
if failed then return failed end
local positions = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #positions == 0 then return 0 end
delete_entries(KEYS[2], positions)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return #positions
"""
)

DELETE_STREAM = (
    _EXPECT_TYPES
    + _DELETE_ENTRIES
    + """
-- KEYS: version, events, info, log, position, streams.  ARGV: stream id.
-- Forgets the stream entirely; returns how many events were deleted.
local failed = expect_type(KEYS[2], 'zset') or expect_type(KEYS[4], 'stream') or expect_type(KEYS[6], 'set')
if failed then return failed end
local positions = redis.call('ZRANGE', KEYS[2], 0, -1)
if #positions > 0 then delete_entries(KEYS[4], positions) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SREM', KEYS[6], ARGV[1])
return #positions
"""
)

COUNT = """
-- KEYS: the log, or a stream's events.  Returns how many events it holds.
if redis.call('TYPE', KEYS[1])['ok'] == 'stream' then return redis.call('XLEN', KEYS[1]) end
return redis.call('ZCARD', KEYS[1])
"""

SCAN_STREAM_IDS = """
-- KEYS: streams.  ARGV: cursor.  Returns {next cursor, {stream ids}}.
return redis.call('SSCAN', KEYS[1], ARGV[1], 'COUNT', 1000)
"""

SNAPSHOT_SAVE = (
    _EXPECT_TYPES
    + """
-- KEYS: snapshots.  ARGV: version, record, snapshots to keep.
local failed = expect_type(KEYS[1], 'zset')
if failed then return failed end
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
return 0
"""
)

SNAPSHOT_GET = """
-- KEYS: snapshots.  ARGV: version, or '' for the latest.  Returns the record or nil.
local found
if ARGV[1] == '' then
  found = redis.call('ZRANGE', KEYS[1], -1, -1)
else
  found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
end
return found[1] or false
"""

SNAPSHOT_DELETE_OLD = """
-- KEYS: snapshots.  ARGV: how many to keep.  Returns how many were deleted.
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if extra <= 0 then return 0 end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
return extra
"""
