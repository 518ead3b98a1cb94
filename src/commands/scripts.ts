/**
 * The Lua scripts of the command store. Each runs atomically in Redis, which is what makes the
 * guarantees hold across several gateways: a command is popped by one heartbeat only, an ending is
 * recorded once, a re-sent heartbeat gets the same commands again instead of losing them.
 * (Record keys are built inside the heartbeat script from a prefix: fine on one Redis, not on a cluster.)
 */

/** KEYS: record, queue. ARGV: body, nodeId, type, fingerprint, enqueuedAt, ttl. → 1 queued | existing fingerprint. */
export const ENQUEUE = `
local fp = redis.call('HGET', KEYS[1], 'fingerprint')
if fp then return fp end
redis.call('HSET', KEYS[1], 'nodeId', ARGV[2], 'type', ARGV[3], 'fingerprint', ARGV[4], 'state', 'queued', 'enqueuedAt', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: agent state, acked zset, queue. ARGV: instanceId, seq, sentAtMs, receivedAtMs, runningJson,
 * stalledJson, healthJson, agentVersion, maxCommands, agentTtl, recordKeyPrefix. → command bodies.
 */
export const HEARTBEAT = `
local cur = redis.call('HMGET', KEYS[1], 'instanceId', 'seq')
if cur[1] == ARGV[1] and cur[2] == ARGV[2] then
  local r = redis.call('HGET', KEYS[1], 'reply')
  if r and r ~= '[]' then return cjson.decode(r) end
  return {}
end
local stale = cur[1] == ARGV[1] and cur[2] and tonumber(cur[2]) > tonumber(ARGV[2])
if not stale then
  -- Acks the agent made before sending this heartbeat are now covered by its list (or were dropped by it).
  for _, id in ipairs(cjson.decode(ARGV[5])) do redis.call('ZREM', KEYS[2], id) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
  redis.call('HSET', KEYS[1], 'instanceId', ARGV[1], 'seq', ARGV[2], 'sentAt', ARGV[3], 'receivedAt', ARGV[4], 'running', ARGV[5], 'stalled', ARGV[6], 'health', ARGV[7], 'agentVersion', ARGV[8])
  redis.call('EXPIRE', KEYS[1], ARGV[10])
  redis.call('EXPIRE', KEYS[2], ARGV[10])
end
local out = {}
local n = tonumber(ARGV[9])
if n > 0 then
  local popped = redis.call('LPOP', KEYS[3], n)
  if popped then
    for _, body in ipairs(popped) do
      local ok, cmd = pcall(cjson.decode, body)
      if ok and type(cmd) == 'table' and type(cmd.id) == 'string' then
        local rk = ARGV[11] .. cmd.id
        if redis.call('HGET', rk, 'state') == 'queued' then redis.call('HSET', rk, 'state', 'delivered', 'deliveredAt', ARGV[4]) end
      end
      table.insert(out, body)
    end
  end
end
if not stale then
  local rj = '[]'
  if #out > 0 then rj = cjson.encode(out) end
  redis.call('HSET', KEYS[1], 'reply', rj)
end
return out
`;

/**
 * KEYS: record, progress, acked zset. ARGV: kind, seq, atMs, payloadJson, ttl, commandId, nodeId,
 * receivedAtMs. → 'recorded' | 'duplicate' | 'unknown' | 'wrong_node'.
 */
export const COMMAND_EVENT = `
local node = redis.call('HGET', KEYS[1], 'nodeId')
if not node then return 'unknown' end
if node ~= ARGV[7] then return 'wrong_node' end
local state = redis.call('HGET', KEYS[1], 'state')
if ARGV[1] == 'command_acknowledged' then
  if redis.call('HSETNX', KEYS[1], 'ackedAt', ARGV[8]) == 0 then return 'duplicate' end
  if state ~= 'ended' then
    redis.call('HSET', KEYS[1], 'state', 'acknowledged')
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[6])
    redis.call('EXPIRE', KEYS[3], ARGV[5])
  end
  return 'recorded'
elseif ARGV[1] == 'command_progress' then
  if state == 'ended' then return 'duplicate' end
  local cur = redis.call('GET', KEYS[2])
  if cur and tonumber(cjson.decode(cur).seq) >= tonumber(ARGV[2]) then return 'duplicate' end
  redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
  return 'recorded'
else
  if redis.call('HSETNX', KEYS[1], 'ending', ARGV[4]) == 0 then return 'duplicate' end
  redis.call('HSET', KEYS[1], 'state', 'ended', 'endedAt', ARGV[8])
  redis.call('ZREM', KEYS[3], ARGV[6])
  return 'recorded'
end
`;
