using System.Globalization;
using ChatGateway.Gateway.Redis;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Routing;

/// <summary>One routing decision: a conversation handed to an agent, or (AgentId null) back to a queue.</summary>
internal readonly record struct Assignment(Guid ConversationId, Guid? AgentId, Guid? PreviousAgentId = null);

/// <summary>
/// What Redis holds for a conversation: the agent who has it, the queue it belongs to (<see cref="Skill"/>), and
/// whether it waits in that queue. Neither an agent nor a place in a queue: Redis holds no decision about it.
/// </summary>
internal readonly record struct HeldRouting(Guid? AgentId, string? Skill, bool Queued)
{
    public bool HoldsDecision => AgentId is not null || Queued;
}

/// <summary>
/// What a heartbeat found: whether Redis had lost the instance's heartbeat, the presence Redis holds for each agent
/// with a desk there (null: none, as after Redis came back empty), and what agents no longer lost took at once.
/// </summary>
internal sealed record DeskHeartbeat(bool WasGone, IReadOnlyDictionary<Guid, string?> Presence, IReadOnlyList<Assignment> Assignments);

/// <summary>Why a transfer could not happen; the conversation is untouched.</summary>
internal enum TransferError { None, NotAssigned, TargetUnavailable }

/// <summary>What an agent's take from a queue came to: taken, no longer waiting, or a queue that is not theirs.</summary>
internal enum TakeResult { Taken, Gone, Unfit }

/// <summary>
/// Routing state in Redis. Every decision is one Lua script, so a conversation never gets two agents
/// and an agent never exceeds capacity, also with several gateway instances racing. The scripts use
/// only commands that Redis 7 and Garnet both run.
/// </summary>
/// <remarks>
/// Keys (all under the configured prefix): <c>q:{skill}</c> sorted set of waiting conversations,
/// scored by enqueue time minus priority credit (lower is served first, so priority ages out and
/// nobody starves); <c>c:{conversation}</c> hash with skill, score, agent, preferred agent (sticky or
/// exclusive) and an agent to avoid (the one who just gave it up); <c>a:{agent}</c> hash with
/// presence, capacity and skills; <c>a:{agent}:c</c> set of the agent's conversations (its load);
/// <c>sk:{skill}</c> set of agents with the skill who are online.
/// Desks: <c>insts</c> set of gateway instances; <c>hb:{instance}</c> the instance's heartbeat (expires when it
/// stops); <c>d:{instance}</c> hash of its open desks, agent to count; <c>lost</c> sorted set of agents with no
/// desk on any live instance, scored by when (no new work then, and after the grace their conversations go on).
/// An agent's desks are counted on live instances only, so a crashed instance's desks stop counting when its
/// heartbeat expires, and no count is ever carried over from a process that is gone.
/// Presence: <c>online</c> takes any work; <c>busy</c> takes only returning customers and transfers;
/// <c>away</c> and <c>offline</c> take nothing.
/// </remarks>
internal sealed class RedisRoutingStore(RedisConnection redis)
{
    private const string Functions = """
        local p = ARGV[1]
        local function able(agent, allowBusy, ct)
          local v = redis.call('HMGET', p .. 'a:' .. agent, 'presence', 'cap', 'cap:' .. (ct or ''))
          if not (v[1] == 'online' or (allowBusy and v[1] == 'busy')) then return nil end
          -- a desk that lost its connection keeps its conversations through the grace, but gets no new ones
          if redis.call('ZSCORE', p .. 'lost', agent) then return nil end
          local cap = tonumber(v[2]) or 0
          local load = redis.call('SCARD', p .. 'a:' .. agent .. ':c')
          if load >= cap then return nil end
          if ct and v[3] and redis.call('SCARD', p .. 'a:' .. agent .. ':c:' .. ct) >= (tonumber(v[3]) or 0) then return nil end
          return load / cap
        end
        -- Open desks of the agent on live instances (a heartbeat not expired), and on the calling instance,
        -- whose own list is the truth even while its heartbeat is being renewed.
        local function desks(agent, me)
          local n = tonumber(redis.call('HGET', p .. 'd:' .. me, agent)) or 0
          for _, i in ipairs(redis.call('SMEMBERS', p .. 'insts')) do
            if i ~= me and redis.call('EXISTS', p .. 'hb:' .. i) == 1 then
              n = n + (tonumber(redis.call('HGET', p .. 'd:' .. i, agent)) or 0)
            end
          end
          return n
        end
        local function ctOf(conv)
          local ct = redis.call('HGET', p .. 'c:' .. conv, 'ct')
          if ct == false or ct == '' then return nil end
          return ct
        end
        local function unload(conv, agent)
          redis.call('SREM', p .. 'a:' .. agent .. ':c', conv)
          local ct = ctOf(conv)
          if ct then redis.call('SREM', p .. 'a:' .. agent .. ':c:' .. ct, conv) end
        end
        local function assign(conv, agent, out, previous)
          redis.call('HSET', p .. 'c:' .. conv, 'agent', agent)
          redis.call('HDEL', p .. 'c:' .. conv, 'avoid')
          redis.call('SADD', p .. 'a:' .. agent .. ':c', conv)
          local ct = ctOf(conv)
          if ct then redis.call('SADD', p .. 'a:' .. agent .. ':c:' .. ct, conv) end
          out[#out + 1] = conv
          out[#out + 1] = agent
          out[#out + 1] = previous or ''
        end
        -- 'avoid' (the agent who just gave a conversation up) means "prefer others": the avoided agent
        -- gets it when no other agent could take it now, so nobody waits for an agent who never comes.
        -- 'strict' is a conversation its avoided agent must not get back in this very call (they just
        -- transferred it away themselves); later routing treats it like any other.
        local function otherAble(skill, exclude, ct)
          for _, a in ipairs(redis.call('SMEMBERS', p .. 'sk:' .. skill)) do
            if a ~= exclude and able(a, false, ct) then return true end
          end
          return false
        end
        local function dispatch(skill, out, strict)
          local q = p .. 'q:' .. skill
          local skipped = 0
          while true do
            local head = redis.call('ZRANGE', q, skipped, skipped)
            if #head == 0 then return end
            local conv = head[1]
            local avoid = redis.call('HGET', p .. 'c:' .. conv, 'avoid')
            local agents = redis.call('SMEMBERS', p .. 'sk:' .. skill)
            local ct = ctOf(conv)
            local best, bestRatio = nil, 2
            local avoidAble = false
            for _, a in ipairs(agents) do
              local r = able(a, false, ct)
              if r then
                if a == avoid then avoidAble = true
                elseif r < bestRatio or (r == bestRatio and a < best) then best, bestRatio = a, r end
              end
            end
            if best then
              redis.call('ZREM', q, conv)
              assign(conv, best, out)
            elseif avoidAble and conv ~= strict then
              redis.call('ZREM', q, conv)
              assign(conv, avoid, out)
            elseif avoidAble then
              -- only the agent who just gave it away is free: serve the next one
              skipped = skipped + 1
            else
              return
            end
          end
        end
        local function pull(agent, out, strict)
          local skills = redis.call('HGET', p .. 'a:' .. agent, 'skills')
          if not skills then return end
          while able(agent, false, nil) do
            local bestConv, bestScore, bestQ = nil, nil, nil
            for skill in string.gmatch(skills, '[^,]+') do
              local q = p .. 'q:' .. skill
              local head = redis.call('ZRANGE', q, 0, 9, 'WITHSCORES')
              for i = 1, #head, 2 do
                local s = tonumber(head[i + 1])
                local ct = ctOf(head[i])
                local avoided = redis.call('HGET', p .. 'c:' .. head[i], 'avoid') == agent
                if able(agent, false, ct) and (not avoided or (head[i] ~= strict and not otherAble(skill, agent, ct))) then
                  if bestScore == nil or s < bestScore then bestConv, bestScore, bestQ = head[i], s, q end
                  break
                end
              end
            end
            if not bestConv then return end
            redis.call('ZREM', bestQ, bestConv)
            assign(bestConv, agent, out)
          end
        end
        local function requeue(conv, agent, out)
          local v = redis.call('HMGET', p .. 'c:' .. conv, 'skill', 'score')
          unload(conv, agent)
          redis.call('HDEL', p .. 'c:' .. conv, 'agent')
          redis.call('HSET', p .. 'c:' .. conv, 'avoid', agent)
          redis.call('ZADD', p .. 'q:' .. v[1], v[2], conv)
          out[#out + 1] = conv
          out[#out + 1] = ''
          out[#out + 1] = agent
          return v[1]
        end

        """;

    // ARGV: prefix, conversation, skill, score, preferred agent ('' for none), channel type
    private const string EnqueueScript = Functions + """
        local conv, skill, score, preferred, ct = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local out = {}
        if redis.call('HEXISTS', p .. 'c:' .. conv, 'agent') == 1 then return out end
        redis.call('HSET', p .. 'c:' .. conv, 'skill', skill, 'score', score, 'ct', ct)
        if preferred ~= '' then
          redis.call('HSET', p .. 'c:' .. conv, 'pref', preferred)
          if able(preferred, true, ctOf(conv)) then
            redis.call('ZREM', p .. 'q:' .. skill, conv)
            assign(conv, preferred, out)
            return out
          end
        end
        if redis.call('ZSCORE', p .. 'q:' .. skill, conv) == false then
          redis.call('ZADD', p .. 'q:' .. skill, score, conv)
        end
        dispatch(skill, out)
        return out
        """;

    // ARGV: prefix, agent, presence, capacity, queues (comma separated), capacity per channel type
    // ("webchat=5,email=10"). Going away or offline keeps the agent's conversations; RequeueAgentScript
    // hands them on when the agent is really gone.
    private const string PresenceScript = Functions + """
        local agent, presence, cap, skills, caps = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local out = {}
        for _, f in ipairs(redis.call('HKEYS', p .. 'a:' .. agent)) do
          if string.sub(f, 1, 4) == 'cap:' then redis.call('HDEL', p .. 'a:' .. agent, f) end
        end
        for t, n in string.gmatch(caps, '([^,=]+)=(%d+)') do redis.call('HSET', p .. 'a:' .. agent, 'cap:' .. t, n) end
        local old = redis.call('HGET', p .. 'a:' .. agent, 'skills')
        if old then
          for s in string.gmatch(old, '[^,]+') do redis.call('SREM', p .. 'sk:' .. s, agent) end
        end
        redis.call('HSET', p .. 'a:' .. agent, 'presence', presence, 'cap', cap, 'skills', skills)
        if presence == 'online' or presence == 'busy' then
          for s in string.gmatch(skills, '[^,]+') do redis.call('SADD', p .. 'sk:' .. s, agent) end
        end
        if presence == 'online' then pull(agent, out) end
        return out
        """;

    // ARGV: prefix, agent. Puts every conversation of the agent back in its queue (to someone else first).
    private const string RequeueAgentScript = Functions + """
        local agent = ARGV[2]
        local out = {}
        local skills = {}
        for _, conv in ipairs(redis.call('SMEMBERS', p .. 'a:' .. agent .. ':c')) do
          skills[requeue(conv, agent, out)] = true
        end
        for skill, _ in pairs(skills) do dispatch(skill, out) end
        return out
        """;

    // ARGV: prefix, conversation
    private const string ReleaseScript = Functions + """
        local conv = ARGV[2]
        local out = {}
        local v = redis.call('HMGET', p .. 'c:' .. conv, 'agent', 'skill')
        if v[2] then redis.call('ZREM', p .. 'q:' .. v[2], conv) end
        if v[1] then
          unload(conv, v[1])
          pull(v[1], out)
        end
        redis.call('DEL', p .. 'c:' .. conv)
        return out
        """;

    // ARGV: prefix, conversation, from agent, target agent. Fails unless the conversation is the from
    // agent's and the target is online or busy with room.
    private const string TransferToAgentScript = Functions + """
        local conv, from, to = ARGV[2], ARGV[3], ARGV[4]
        if redis.call('HGET', p .. 'c:' .. conv, 'agent') ~= from then return 'not-assigned' end
        if not able(to, true, ctOf(conv)) then return 'unavailable' end
        local out = {}
        unload(conv, from)
        assign(conv, to, out, from)
        pull(from, out)
        return out
        """;

    // ARGV: prefix, conversation, from agent, skill, score. Back to a queue, to another agent first.
    private const string TransferToSkillScript = Functions + """
        local conv, from, skill, score = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        if redis.call('HGET', p .. 'c:' .. conv, 'agent') ~= from then return 'not-assigned' end
        local out = {}
        redis.call('HSET', p .. 'c:' .. conv, 'skill', skill, 'score', score)
        requeue(conv, from, out)
        dispatch(skill, out, conv)
        pull(from, out, conv)
        return out
        """;

    // ARGV: prefix, skill, agent to leave out ('' for none), channel type ('' for any). 1 when another
    // agent of the queue could take a conversation now (online, room, desk not lost).
    private const string OtherAbleAgentScript = Functions + """
        local skill, exclude, ct = ARGV[2], ARGV[3], ARGV[4]
        if ct == '' then ct = nil end
        if otherAble(skill, exclude, ct) then return 1 end
        return 0
        """;

    // ARGV: prefix, instance, agent, the agent's desks now open on the instance, now (ms). A desk dropped; when the
    // agent has none left on any live instance they are lost from now: no new work until one is back. 1: lost.
    // Sets the count rather than subtracting, so a retry after a failed call cannot count a desk twice.
    private const string DeskLostScript = Functions + """
        local me, agent, count, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
        if count > 0 then redis.call('HSET', p .. 'd:' .. me, agent, count) else redis.call('HDEL', p .. 'd:' .. me, agent) end
        if desks(agent, me) > 0 then return 0 end
        redis.call('ZADD', p .. 'lost', 'NX', now, agent)
        return 1
        """;

    // ARGV: prefix, instance, agent, the agent's desks now open on the instance. A desk connected: the agent is no
    // longer lost; when they were, and are online, they take waiting work at once.
    private const string DeskConnectedScript = Functions + """
        local me, agent, count = ARGV[2], ARGV[3], ARGV[4]
        local out = {}
        redis.call('HSET', p .. 'd:' .. me, agent, count)
        if redis.call('ZREM', p .. 'lost', agent) == 1 and redis.call('HGET', p .. 'a:' .. agent, 'presence') == 'online' then
          pull(agent, out)
        end
        return out
        """;

    // ARGV: prefix, instance, expiry (ms), then pairs of agent and desks open on the instance. Renews the heartbeat
    // and replaces the instance's desk list with the instance's own; an agent with a desk here is not lost.
    // Returns 1 when the heartbeat had gone (Redis lost it: emptied, or the instance was cut off past the expiry)
    // or 0, then each agent's presence ('' when Redis has none), then what agents who were lost took at once.
    private const string HeartbeatScript = Functions + """
        local me, ttl = ARGV[2], ARGV[3]
        local gone = redis.call('EXISTS', p .. 'hb:' .. me) == 0
        redis.call('SET', p .. 'hb:' .. me, '1', 'PX', ttl)
        redis.call('SADD', p .. 'insts', me)
        redis.call('DEL', p .. 'd:' .. me)
        local out = {0}
        if gone then out[1] = 1 end
        local taken = {}
        for i = 4, #ARGV, 2 do
          local agent = ARGV[i]
          redis.call('HSET', p .. 'd:' .. me, agent, ARGV[i + 1])
          local presence = redis.call('HGET', p .. 'a:' .. agent, 'presence')
          out[#out + 1] = presence or ''
          if redis.call('ZREM', p .. 'lost', agent) == 1 and presence == 'online' then pull(agent, taken) end
        end
        for _, v in ipairs(taken) do out[#out + 1] = v end
        return out
        """;

    // ARGV: prefix, instance, now (ms). Forgets the other instances whose heartbeat expired; their agents with no
    // desk left on a live instance are lost from now. Returns pairs of instance and the number of agents lost.
    private const string ReapScript = Functions + """
        local me, now = ARGV[2], ARGV[3]
        local out = {}
        for _, i in ipairs(redis.call('SMEMBERS', p .. 'insts')) do
          if i ~= me and redis.call('EXISTS', p .. 'hb:' .. i) == 0 then
            local agents = redis.call('HKEYS', p .. 'd:' .. i)
            redis.call('DEL', p .. 'd:' .. i)
            redis.call('SREM', p .. 'insts', i)
            local lost = 0
            for _, agent in ipairs(agents) do
              if desks(agent, me) == 0 and redis.call('ZADD', p .. 'lost', 'NX', now, agent) == 1 then lost = lost + 1 end
            end
            out[#out + 1] = i
            out[#out + 1] = lost
          end
        end
        return out
        """;

    // ARGV: prefix, instance, cutoff (ms), retry (ms). Claims the agents lost at the cutoff or earlier who still have
    // no desk: their mark moves to the retry time, so exactly one instance hands each on, and another does if it fails.
    private const string ClaimLostScript = Functions + """
        local me, cutoff, retry = ARGV[2], ARGV[3], ARGV[4]
        local out = {}
        for _, agent in ipairs(redis.call('ZRANGEBYSCORE', p .. 'lost', '-inf', cutoff)) do
          if desks(agent, me) == 0 then
            redis.call('ZADD', p .. 'lost', retry, agent)
            out[#out + 1] = agent
          end
        end
        return out
        """;

    // ARGV: prefix, conversation, from queue, to queue. Moves a waiting conversation on (overflow), keeping its age.
    private const string MoveScript = Functions + """
        local conv, from, to = ARGV[2], ARGV[3], ARGV[4]
        if redis.call('ZREM', p .. 'q:' .. from, conv) == 0 then return 'gone' end
        local score = redis.call('HGET', p .. 'c:' .. conv, 'score')
        redis.call('HSET', p .. 'c:' .. conv, 'skill', to)
        redis.call('ZADD', p .. 'q:' .. to, score, conv)
        local out = {}
        dispatch(to, out)
        return out
        """;

    // ARGV: prefix, conversation, agent, the queues the agent serves (comma separated). An agent takes a waiting
    // conversation from its queue themselves: 'gone' when it no longer waits (routing or another agent took it),
    // 'unfit:{skill}' when its queue is not one of theirs; else the assignment, counted in their load like any other.
    private const string TakeScript = Functions + """
        local conv, agent, queues = ARGV[2], ARGV[3], ARGV[4]
        if redis.call('HEXISTS', p .. 'c:' .. conv, 'agent') == 1 then return 'gone' end
        local skill = redis.call('HGET', p .. 'c:' .. conv, 'skill')
        if not skill or not redis.call('ZSCORE', p .. 'q:' .. skill, conv) then return 'gone' end
        local fits = false
        for s in string.gmatch(queues, '[^,]+') do
          if s == skill then fits = true end
        end
        if not fits then return 'unfit:' .. skill end
        redis.call('ZREM', p .. 'q:' .. skill, conv)
        local out = {}
        assign(conv, agent, out)
        return out
        """;

    // ARGV: prefix, conversation, agent, skill, channel type. Re-records an assignment the store already
    // holds, with its place in the agent's per-channel load (an embedded Garnet restarts empty).
    private const string RestoreAssignedScript = """
        local p, conv, agent, skill, ct = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local current = redis.call('HGET', p .. 'c:' .. conv, 'agent')
        if current and current ~= agent then return current end
        if not current then
          -- Waiting in Redis: a requeue got there after the caller read the store (Redis decides first, the store
          -- follows), so the assignment read is stale and must not be brought back.
          local queued = redis.call('HGET', p .. 'c:' .. conv, 'skill')
          if queued and redis.call('ZSCORE', p .. 'q:' .. queued, conv) then return false end
        end
        redis.call('ZREM', p .. 'q:' .. skill, conv)
        redis.call('HSET', p .. 'c:' .. conv, 'agent', agent, 'skill', skill, 'ct', ct)
        redis.call('SADD', p .. 'a:' .. agent .. ':c', conv)
        if ct ~= '' then redis.call('SADD', p .. 'a:' .. agent .. ':c:' .. ct, conv) end
        return agent
        """;

    // ARGV: prefix, conversation. What Redis holds for the conversation, read in one step: agent, queue, queued there.
    private const string HeldScript = """
        local p, conv = ARGV[1], ARGV[2]
        local v = redis.call('HMGET', p .. 'c:' .. conv, 'agent', 'skill')
        local queued = 0
        if not v[1] and v[2] and redis.call('ZSCORE', p .. 'q:' .. v[2], conv) then queued = 1 end
        return {v[1] or '', v[2] or '', queued}
        """;

    private string Prefix => redis.KeyPrefix;

    /// <summary>
    /// Score of a waiting conversation: enqueue time minus a credit of <paramref name="priorityStep"/>
    /// per priority level. Lower is served first; a long enough wait outranks any priority.
    /// </summary>
    public static long Score(int priority, DateTimeOffset enqueuedAt, TimeSpan priorityStep) =>
        enqueuedAt.ToUnixTimeMilliseconds() - Math.Clamp(priority, 0, 9) * (long)priorityStep.TotalMilliseconds;

    public Task<IReadOnlyList<Assignment>> EnqueueAsync(Guid conversationId, string skill, long score, Guid? preferredAgent, string? channelType = null) =>
        RunAsync(EnqueueScript, Id(conversationId), skill, Num(score), preferredAgent is { } a ? Id(a) : "", channelType?.ToLowerInvariant() ?? "");

    /// <summary>Sets presence; <paramref name="queues"/> are the queues the agent can serve.</summary>
    public Task<IReadOnlyList<Assignment>> SetPresenceAsync(Guid agentId, string presence, int capacity, IEnumerable<string> queues, IReadOnlyDictionary<string, int>? capacityByChannel = null) =>
        RunAsync(PresenceScript, Id(agentId), presence, Num(capacity), string.Join(',', queues),
            string.Join(',', (capacityByChannel ?? new Dictionary<string, int>()).Select(c => $"{c.Key.ToLowerInvariant()}={c.Value}")));

    /// <summary>Moves a waiting conversation to another queue; null when it is no longer waiting there.</summary>
    public async Task<IReadOnlyList<Assignment>?> MoveAsync(Guid conversationId, string from, string to)
    {
        var result = await EvaluateAsync(MoveScript, [Id(conversationId), from, to]);
        return result.Resp2Type is ResultType.BulkString or ResultType.SimpleString ? null : Parse(result);
    }

    public Task<IReadOnlyList<Assignment>> RequeueAgentAsync(Guid agentId) =>
        RunAsync(RequeueAgentScript, Id(agentId));

    public Task<IReadOnlyList<Assignment>> ReleaseAsync(Guid conversationId) =>
        RunAsync(ReleaseScript, Id(conversationId));

    public async Task<(TransferError Error, IReadOnlyList<Assignment> Assignments)> TransferToAgentAsync(Guid conversationId, Guid from, Guid to) =>
        await TransferAsync(TransferToAgentScript, Id(conversationId), Id(from), Id(to));

    public async Task<(TransferError Error, IReadOnlyList<Assignment> Assignments)> TransferToSkillAsync(Guid conversationId, Guid from, string skill, long score) =>
        await TransferAsync(TransferToSkillScript, Id(conversationId), Id(from), skill, Num(score));

    /// <summary>
    /// The agent takes a waiting conversation from its queue (one Lua step, so routing and other agents on any instance
    /// cannot take it too): the assignment, or why not (<see cref="TakeResult"/>).
    /// </summary>
    public async Task<(TakeResult Result, string? Skill, IReadOnlyList<Assignment> Assignments)> TakeAsync(Guid conversationId, Guid agentId, IEnumerable<string> queues)
    {
        var result = await EvaluateAsync(TakeScript, [Id(conversationId), Id(agentId), string.Join(',', queues)]);
        if (result.Resp2Type is ResultType.BulkString or ResultType.SimpleString)
        {
            var text = (string)result!;
            return text.StartsWith("unfit:", StringComparison.Ordinal) ? (TakeResult.Unfit, text["unfit:".Length..], []) : (TakeResult.Gone, null, []);
        }

        return (TakeResult.Taken, null, Parse(result));
    }

    /// <summary>
    /// Records an assignment the store holds; returns the agent Redis has (another one if it differs), or null when
    /// Redis has the conversation waiting in a queue (a requeue newer than the store's row: nothing is restored).
    /// </summary>
    public async Task<Guid?> RestoreAssignedAsync(Guid conversationId, Guid agentId, string skill, string? channelType)
    {
        var db = await redis.GetDatabaseAsync();
        var result = await db.ScriptEvaluateAsync(RestoreAssignedScript, values: [Prefix, Id(conversationId), Id(agentId), skill, channelType?.ToLowerInvariant() ?? ""]);
        return result.IsNull ? null : Guid.ParseExact((string)result!, "N");
    }

    /// <summary>What Redis holds for the conversation (see <see cref="HeldRouting"/>).</summary>
    public async Task<HeldRouting> GetHeldAsync(Guid conversationId)
    {
        var items = (RedisResult[])(await EvaluateAsync(HeldScript, [Id(conversationId)]))!;
        var agent = (string?)items[0];
        var skill = (string?)items[1];
        return new HeldRouting(
            string.IsNullOrEmpty(agent) ? null : Guid.ParseExact(agent, "N"), string.IsNullOrEmpty(skill) ? null : skill, (long)items[2] == 1);
    }

    /// <summary>The conversations Redis counts in the agent's load.</summary>
    public async Task<IReadOnlyList<Guid>> GetConversationsOfAsync(Guid agentId)
    {
        var db = await redis.GetDatabaseAsync();
        var members = await db.SetMembersAsync(Prefix + "a:" + Id(agentId) + ":c");
        return members.Select(m => Guid.ParseExact((string)m!, "N")).ToList();
    }

    /// <summary>
    /// Claims one event (the alert for one message, say) for the calling instance: true for the first caller among
    /// every instance sharing this Redis, false for all others until <paramref name="holdFor"/> has passed. Work
    /// that every instance's timer finds is then done once, by whichever instance comes first, with no leader
    /// whose death would stop it.
    /// </summary>
    public async Task<bool> TryClaimAsync(string eventKey, TimeSpan holdFor)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.StringSetAsync(Prefix + "claim:" + eventKey, "1", holdFor, When.NotExists);
    }

    public async Task<Guid?> GetAssignedAgentAsync(Guid conversationId)
    {
        var db = await redis.GetDatabaseAsync();
        var value = await db.HashGetAsync(Prefix + "c:" + Id(conversationId), "agent");
        return value.IsNull ? null : Guid.ParseExact((string)value!, "N");
    }

    public async Task<bool> IsWaitingAsync(Guid conversationId, string skill)
    {
        var db = await redis.GetDatabaseAsync();
        return (await db.SortedSetScoreAsync(Prefix + "q:" + skill, Id(conversationId))).HasValue;
    }

    public async Task<long> GetLoadAsync(Guid agentId)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.SetLengthAsync(Prefix + "a:" + Id(agentId) + ":c");
    }

    public async Task<string> GetPresenceAsync(Guid agentId)
    {
        var db = await redis.GetDatabaseAsync();
        var value = await db.HashGetAsync(Prefix + "a:" + Id(agentId), "presence");
        return value.IsNull ? "offline" : value.ToString();
    }

    public async Task<long> GetWaitingCountAsync(string skill)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.SortedSetLengthAsync(Prefix + "q:" + skill);
    }

    /// <summary>The first <paramref name="count"/> conversations waiting in the queue, next first.</summary>
    public async Task<IReadOnlyList<Guid>> GetHeadAsync(string skill, int count)
    {
        var db = await redis.GetDatabaseAsync();
        var members = await db.SortedSetRangeByRankAsync(Prefix + "q:" + skill, 0, count - 1);
        return members.Select(m => Guid.ParseExact((string)m!, "N")).ToList();
    }

    /// <summary>0-based place in the skill's queue, or null when not waiting there.</summary>
    public async Task<long?> GetQueuePositionAsync(Guid conversationId, string skill)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.SortedSetRankAsync(Prefix + "q:" + skill, Id(conversationId));
    }

    /// <summary>True when an agent of the queue other than <paramref name="exclude"/> could take a conversation now.</summary>
    public async Task<bool> HasOtherAbleAgentAsync(string skill, Guid? exclude, string? channelType = null) =>
        (int)await EvaluateAsync(OtherAbleAgentScript, [skill, exclude is { } e ? Id(e) : "", channelType?.ToLowerInvariant() ?? ""]) == 1;

    /// <summary>
    /// A desk of the agent connected to <paramref name="instance"/>, which now has <paramref name="desks"/> of theirs;
    /// returns what they took at once when they come back from a lost connection.
    /// </summary>
    public Task<IReadOnlyList<Assignment>> DeskConnectedAsync(string instance, Guid agentId, int desks) =>
        RunAsync(DeskConnectedScript, instance, Id(agentId), Num(desks));

    /// <summary>
    /// A desk of the agent on <paramref name="instance"/> closed, leaving <paramref name="desks"/> there; true when they
    /// have none on any live instance (lost since <paramref name="now"/>: no new work until a desk is back).
    /// </summary>
    public async Task<bool> DeskLostAsync(string instance, Guid agentId, int desks, DateTimeOffset now) =>
        (long)await EvaluateAsync(DeskLostScript, [instance, Id(agentId), Num(desks), Num(now.ToUnixTimeMilliseconds())]) == 1;

    /// <summary>Renews the instance's heartbeat and desk list (the instance's own is the truth).</summary>
    public async Task<DeskHeartbeat> HeartbeatAsync(string instance, TimeSpan expiry, IReadOnlyList<KeyValuePair<Guid, int>> desks)
    {
        var args = new List<string>(2 + 2 * desks.Count) { instance, Num((long)expiry.TotalMilliseconds) };
        foreach (var (agent, count) in desks)
        {
            args.Add(Id(agent));
            args.Add(Num(count));
        }

        var items = (RedisResult[])(await EvaluateAsync(HeartbeatScript, [.. args]))!;
        var presence = new Dictionary<Guid, string?>(desks.Count);
        for (var i = 0; i < desks.Count; i++)
        {
            var value = (string?)items[1 + i];
            presence[desks[i].Key] = string.IsNullOrEmpty(value) ? null : value;
        }

        return new DeskHeartbeat((long)items[0] == 1, presence, Parse(items[(1 + desks.Count)..]));
    }

    /// <summary>Forgets instances whose heartbeat expired; returns each with how many agents it left lost.</summary>
    public async Task<IReadOnlyList<(string Instance, long LostAgents)>> ReapAsync(string instance, DateTimeOffset now)
    {
        var items = (RedisResult[])(await EvaluateAsync(ReapScript, [instance, Num(now.ToUnixTimeMilliseconds())]))!;
        var reaped = new List<(string, long)>(items.Length / 2);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            reaped.Add(((string)items[i]!, (long)items[i + 1]));
        }

        return reaped;
    }

    /// <summary>
    /// Claims the agents lost for <paramref name="grace"/> or longer who still have no desk, for this instance to hand
    /// on; a claim not cleared by <see cref="ClearLostAsync"/> (the instance failed or died) falls due again after
    /// <paramref name="retryAfter"/>.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> ClaimLostAsync(string instance, DateTimeOffset now, TimeSpan grace, TimeSpan retryAfter)
    {
        var cutoff = (now - grace).ToUnixTimeMilliseconds();
        var retry = cutoff + (long)retryAfter.TotalMilliseconds;
        var items = (RedisResult[])(await EvaluateAsync(ClaimLostScript, [instance, Num(cutoff), Num(retry)]))!;
        return items.Select(i => Guid.ParseExact((string)i!, "N")).ToList();
    }

    /// <summary>True while the agent has no desk on any live instance and their grace runs (or their hand-on is due).</summary>
    public async Task<bool> IsLostAsync(Guid agentId)
    {
        var db = await redis.GetDatabaseAsync();
        return (await db.SortedSetScoreAsync(Prefix + "lost", Id(agentId))).HasValue;
    }

    /// <summary>Clears the lost-desk mark (the grace is over and the agent has been handed on).</summary>
    public async Task ClearLostAsync(Guid agentId)
    {
        var db = await redis.GetDatabaseAsync();
        await db.SortedSetRemoveAsync(Prefix + "lost", Id(agentId));
    }

    /// <summary>Agents with the skill who are online or busy.</summary>
    public async Task<long> GetAvailableAgentCountAsync(string skill)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.SetLengthAsync(Prefix + "sk:" + skill);
    }

    private static string Id(Guid id) => id.ToString("N");

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<(TransferError, IReadOnlyList<Assignment>)> TransferAsync(string script, params string[] args)
    {
        var result = await EvaluateAsync(script, args);
        if (result.Resp2Type == ResultType.BulkString || result.Resp2Type == ResultType.SimpleString)
        {
            return ((string)result! == "not-assigned" ? TransferError.NotAssigned : TransferError.TargetUnavailable, []);
        }

        return (TransferError.None, Parse(result));
    }

    private async Task<IReadOnlyList<Assignment>> RunAsync(string script, params string[] args) => Parse(await EvaluateAsync(script, args));

    private async Task<RedisResult> EvaluateAsync(string script, string[] args)
    {
        var db = await redis.GetDatabaseAsync();
        var values = new RedisValue[args.Length + 1];
        values[0] = Prefix;
        for (var i = 0; i < args.Length; i++)
        {
            values[i + 1] = args[i];
        }

        return await db.ScriptEvaluateAsync(script, values: values);
    }

    private static IReadOnlyList<Assignment> Parse(RedisResult result) => Parse((RedisResult[]?)result ?? []);

    private static IReadOnlyList<Assignment> Parse(RedisResult[] items)
    {
        var assignments = new List<Assignment>(items.Length / 3);
        for (var i = 0; i + 2 < items.Length; i += 3)
        {
            var agent = (string?)items[i + 1];
            var previous = (string?)items[i + 2];
            assignments.Add(new Assignment(
                Guid.ParseExact((string)items[i]!, "N"),
                string.IsNullOrEmpty(agent) ? null : Guid.ParseExact(agent, "N"),
                string.IsNullOrEmpty(previous) ? null : Guid.ParseExact(previous, "N")));
        }

        return assignments;
    }
}
