using System.Globalization;
using System.Threading.RateLimiting;
using ChatGateway.Gateway.Redis;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Slows password guessing down: a rate limit per user name on this instance, and a lockout after
/// <see cref="AuthOptions.MaxFailures"/> consecutive failures that every instance sees (kept in Redis).
/// User names that do not exist are counted and locked the same way, so a lockout tells nobody which exist.
/// </summary>
internal sealed partial class SignInThrottle : IDisposable
{
    public const string AddressPolicy = "sign-in-per-address";

    private readonly RedisConnection _redis;
    private readonly IOptionsMonitor<AuthOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SignInThrottle> _logger;
    private readonly PartitionedRateLimiter<string> _perAccount;

    public SignInThrottle(RedisConnection redis, IOptionsMonitor<AuthOptions> options, TimeProvider time, ILogger<SignInThrottle> logger)
    {
        _redis = redis;
        _options = options;
        _time = time;
        _logger = logger;
        _perAccount = PartitionedRateLimiter.Create<string, string>(userName => RateLimitPartition.GetFixedWindowLimiter(userName, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = _options.CurrentValue.SignInsPerAccountPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
    }

    public static string Normalize(string userName) => userName.Trim().ToLowerInvariant();

    /// <summary>Null when the attempt may go ahead; otherwise how long to wait.</summary>
    public async Task<TimeSpan?> CheckAsync(string userName)
    {
        using (var lease = _perAccount.AttemptAcquire(userName))
        {
            if (!lease.IsAcquired)
            {
                return lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromMinutes(1);
            }
        }

        var db = await _redis.GetDatabaseAsync();
        var until = await db.StringGetAsync(LockKey(userName));
        if (until.IsNull || !long.TryParse(until.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return null;
        }

        var left = DateTimeOffset.FromUnixTimeMilliseconds(ms) - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }

    public async Task FailedAsync(string userName)
    {
        var options = _options.CurrentValue;
        var db = await _redis.GetDatabaseAsync();
        var failures = await db.StringIncrementAsync(FailureKey(userName));
        await db.KeyExpireAsync(FailureKey(userName), options.LockoutTime, StackExchange.Redis.ExpireWhen.HasNoExpiry);
        if (failures >= options.MaxFailures)
        {
            var until = _time.GetUtcNow() + options.LockoutTime;
            // Redis forgets the lock a little after the gateway's clock says it ended.
            await db.StringSetAsync(LockKey(userName), until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), options.LockoutTime + TimeSpan.FromMinutes(1));
            await db.KeyDeleteAsync(FailureKey(userName));
            LogLocked(_logger, options.MaxFailures, options.LockoutTime);
        }
    }

    public async Task SucceededAsync(string userName)
    {
        var db = await _redis.GetDatabaseAsync();
        await db.KeyDeleteAsync([FailureKey(userName), LockKey(userName)]);
    }

    private string FailureKey(string userName) => _redis.KeyPrefix + "signin:failures:" + userName;

    private string LockKey(string userName) => _redis.KeyPrefix + "signin:locked:" + userName;

    public void Dispose() => _perAccount.Dispose();

    // The user name is not logged above Debug: it may be a password typed in the wrong field.
    [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "A user name was locked for {LockoutTime} after {Failures} failed sign-ins in a row")]
    private static partial void LogLocked(ILogger logger, int failures, TimeSpan lockoutTime);
}
