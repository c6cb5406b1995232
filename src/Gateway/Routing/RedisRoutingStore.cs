using ChatGateway.Gateway.Redis;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Routing;

/// <summary>One routing decision: a conversation handed to an agent.</summary>
internal readonly record struct Assignment(Guid ConversationId, Guid AgentId);

/// <summary>
/// Routing state in Redis. Every decision is one Lua script, so a conversation never gets two agents
/// and an agent never exceeds capacity, also with several gateway instances racing. The scripts use
/// only commands that Redis 7 and Garnet both run.
/// </summary>
/// <remarks>
/// Keys (all under the configured prefix): <c>q:{skill}</c> sorted set of waiting conversations,
/// scored by priority then age (lower is served first); <c>c:{conversation}</c> hash with skill, score
/// and agent; <c>a:{agent}</c> hash with presence, capacity and skills; <c>a:{agent}:c</c> set of the
/// agent's conversations (its load); <c>sk:{skill}</c> set of online agents with the skill.
/// </remarks>
internal sealed class RedisRoutingStore(RedisConnection redis)
{
    private const string Functions = """
        local p = ARGV[1]
        local function able(agent)
          local v = redis.call('HMGET', p .. 'a:' .. agent, 'presence', 'cap')
          if v[1] ~= 'online' then return nil end
          local cap = tonumber(v[2]) or 0
          local load = redis.call('SCARD', p .. 'a:' .. agent .. ':c')
          if load >= cap then return nil end
          return load / cap
        end
        local function assign(conv, agent, out)
          redis.call('HSET', p .. 'c:' .. conv, 'agent', agent)
          redis.call('SADD', p .. 'a:' .. agent .. ':c', conv)
          out[#out + 1] = conv
          out[#out + 1] = agent
        end
        local function dispatch(skill, out)
          local q = p .. 'q:' .. skill
          while true do
            local head = redis.call('ZRANGE', q, 0, 0)
            if #head == 0 then return end
            local agents = redis.call('SMEMBERS', p .. 'sk:' .. skill)
            local best, bestRatio = nil, 2
            for _, a in ipairs(agents) do
              local r = able(a)
              if r and (r < bestRatio or (r == bestRatio and a < best)) then best, bestRatio = a, r end
            end
            if not best then return end
            redis.call('ZREM', q, head[1])
            assign(head[1], best, out)
          end
        end
        local function pull(agent, out)
          local skills = redis.call('HGET', p .. 'a:' .. agent, 'skills')
          if not skills then return end
          while able(agent) do
            local bestConv, bestScore, bestQ = nil, nil, nil
            for skill in string.gmatch(skills, '[^,]+') do
              local q = p .. 'q:' .. skill
              local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
              if #head > 0 then
                local s = tonumber(head[2])
                if bestScore == nil or s < bestScore then bestConv, bestScore, bestQ = head[1], s, q end
              end
            end
            if not bestConv then return end
            redis.call('ZREM', bestQ, bestConv)
            assign(bestConv, agent, out)
          end
        end

        """;

    // ARGV: prefix, conversation, skill, score
    private const string EnqueueScript = Functions + """
        local conv, skill, score = ARGV[2], ARGV[3], ARGV[4]
        local out = {}
        if redis.call('HEXISTS', p .. 'c:' .. conv, 'agent') == 1 then return out end
        redis.call('HSET', p .. 'c:' .. conv, 'skill', skill, 'score', score)
        if redis.call('ZSCORE', p .. 'q:' .. skill, conv) == false then
          redis.call('ZADD', p .. 'q:' .. skill, score, conv)
        end
        dispatch(skill, out)
        return out
        """;

    // ARGV: prefix, agent, presence, capacity, skills (comma separated)
    private const string PresenceScript = Functions + """
        local agent, presence, cap, skills = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local out = {}
        local old = redis.call('HGET', p .. 'a:' .. agent, 'skills')
        if old then
          for s in string.gmatch(old, '[^,]+') do redis.call('SREM', p .. 'sk:' .. s, agent) end
        end
        redis.call('HSET', p .. 'a:' .. agent, 'presence', presence, 'cap', cap, 'skills', skills)
        if presence == 'online' then
          for s in string.gmatch(skills, '[^,]+') do redis.call('SADD', p .. 'sk:' .. s, agent) end
          pull(agent, out)
        end
        return out
        """;

    // ARGV: prefix, conversation
    private const string ReleaseScript = Functions + """
        local conv = ARGV[2]
        local out = {}
        local v = redis.call('HMGET', p .. 'c:' .. conv, 'agent', 'skill')
        if v[2] then redis.call('ZREM', p .. 'q:' .. v[2], conv) end
        redis.call('DEL', p .. 'c:' .. conv)
        if v[1] then
          redis.call('SREM', p .. 'a:' .. v[1] .. ':c', conv)
          pull(v[1], out)
        end
        return out
        """;

    // ARGV: prefix, conversation, agent, skill. Re-records an assignment the store already holds.
    private const string RestoreAssignedScript = """
        local p, conv, agent, skill = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local current = redis.call('HGET', p .. 'c:' .. conv, 'agent')
        if current and current ~= agent then return current end
        redis.call('ZREM', p .. 'q:' .. skill, conv)
        redis.call('HSET', p .. 'c:' .. conv, 'agent', agent, 'skill', skill)
        redis.call('SADD', p .. 'a:' .. agent .. ':c', conv)
        return agent
        """;

    private string Prefix => redis.KeyPrefix;

    /// <summary>Score of a waiting conversation: priority (0-9, higher first), then age.</summary>
    public static long Score(int priority, DateTimeOffset enqueuedAt) =>
        (9 - Math.Clamp(priority, 0, 9)) * 10_000_000_000_000L + enqueuedAt.ToUnixTimeMilliseconds();

    public Task<IReadOnlyList<Assignment>> EnqueueAsync(Guid conversationId, string skill, int priority, DateTimeOffset enqueuedAt) =>
        RunAsync(EnqueueScript, conversationId.ToString("N"), skill, Score(priority, enqueuedAt).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task<IReadOnlyList<Assignment>> SetPresenceAsync(Guid agentId, bool online, int capacity, IEnumerable<string> skills) =>
        RunAsync(PresenceScript, agentId.ToString("N"), online ? "online" : "offline", capacity.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(',', skills));

    public Task<IReadOnlyList<Assignment>> ReleaseAsync(Guid conversationId) =>
        RunAsync(ReleaseScript, conversationId.ToString("N"));

    /// <summary>Records an assignment the store holds; returns the agent Redis has (another one if it differs).</summary>
    public async Task<Guid?> RestoreAssignedAsync(Guid conversationId, Guid agentId, string skill)
    {
        var db = await redis.GetDatabaseAsync();
        var result = await db.ScriptEvaluateAsync(RestoreAssignedScript, values: [Prefix, conversationId.ToString("N"), agentId.ToString("N"), skill]);
        return result.IsNull ? null : Guid.ParseExact((string)result!, "N");
    }

    public async Task<Guid?> GetAssignedAgentAsync(Guid conversationId)
    {
        var db = await redis.GetDatabaseAsync();
        var value = await db.HashGetAsync(Prefix + "c:" + conversationId.ToString("N"), "agent");
        return value.IsNull ? null : Guid.ParseExact((string)value!, "N");
    }

    public async Task<bool> IsWaitingAsync(Guid conversationId, string skill)
    {
        var db = await redis.GetDatabaseAsync();
        return (await db.SortedSetScoreAsync(Prefix + "q:" + skill, conversationId.ToString("N"))).HasValue;
    }

    public async Task<long> GetLoadAsync(Guid agentId)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.SetLengthAsync(Prefix + "a:" + agentId.ToString("N") + ":c");
    }

    public async Task<long> GetWaitingCountAsync(string skill)
    {
        var db = await redis.GetDatabaseAsync();
        return await db.SortedSetLengthAsync(Prefix + "q:" + skill);
    }

    private async Task<IReadOnlyList<Assignment>> RunAsync(string script, params string[] args)
    {
        var db = await redis.GetDatabaseAsync();
        var values = new RedisValue[args.Length + 1];
        values[0] = Prefix;
        for (var i = 0; i < args.Length; i++)
        {
            values[i + 1] = args[i];
        }

        var result = await db.ScriptEvaluateAsync(script, values: values);
        var items = (RedisResult[]?)result ?? [];
        var assignments = new List<Assignment>(items.Length / 2);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            assignments.Add(new Assignment(Guid.ParseExact((string)items[i]!, "N"), Guid.ParseExact((string)items[i + 1]!, "N")));
        }

        return assignments;
    }
}
