using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WeChat.Api;

/// <summary>The access_token and when it expires, as kept in channel state.</summary>
internal sealed record WeChatToken(string Value, DateTimeOffset ExpiresAt, DateTimeOffset RefreshAt);

/// <summary>
/// The account's one access_token, shared by every gateway instance through <see cref="IChannelState"/>. Fetching a new
/// token invalidates the old one at WeChat, so only the instance holding the <see cref="LeaseName"/> lease fetches; the
/// others read what it stored.
/// </summary>
internal sealed class WeChatAccessTokens(
    WeChatApiClient api,
    IChannelState state,
    IChannelLeases leases,
    IOptionsMonitor<WeChatOptions> options,
    TimeProvider time,
    ILogger<WeChatAccessTokens> logger)
{
    public const string StateKey = "wechat:access-token";
    public const string LeaseName = "wechat:access-token";

    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WaitForHolder = TimeSpan.FromSeconds(3);

    private readonly SemaphoreSlim _local = new(1, 1);

    /// <summary>The stored token, when one is stored and not expired.</summary>
    public async Task<WeChatToken?> ReadAsync(CancellationToken cancellationToken)
    {
        var token = Parse(await state.GetAsync(StateKey, cancellationToken));
        return token is not null && token.ExpiresAt > time.GetUtcNow() ? token : null;
    }

    /// <summary>A valid token: the stored one, else a new one (fetched here under the lease, or by its holder).</summary>
    public async Task<string?> GetAsync(CancellationToken cancellationToken) =>
        (await ReadAsync(cancellationToken))?.Value ?? await RefreshAsync(null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="call"/> with a valid token, and once more with a renewed one when WeChat calls the token
    /// invalid or expired (40001, 42001, 40014). Null when no token can be had (WeChat unreachable, not whitelisted).
    /// </summary>
    public async Task<WeChatResult?> CallAsync(Func<string, CancellationToken, Task<WeChatResult>> call, CancellationToken cancellationToken)
    {
        var token = await GetAsync(cancellationToken);
        if (token is null)
        {
            return null;
        }

        var result = await call(token, cancellationToken);
        if (result.TokenInvalid)
        {
            token = await RefreshAsync(token, cancellationToken);
            result = token is null ? result : await call(token, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Replaces <paramref name="stale"/> (a token WeChat called invalid, or null) unless another instance already did;
    /// with <paramref name="stale"/> null a stored token that is still before its refresh time is kept.
    /// </summary>
    public async Task<string?> RefreshAsync(string? stale, CancellationToken cancellationToken)
    {
        // One refresh at a time in this instance too: the lease is per instance, and two fetches invalidate each other.
        await _local.WaitAsync(cancellationToken);
        try
        {
            return await RefreshUnderLeaseAsync(stale, cancellationToken);
        }
        finally
        {
            _local.Release();
        }
    }

    private async Task<string?> RefreshUnderLeaseAsync(string? stale, CancellationToken cancellationToken)
    {
        await using var lease = await leases.TryAcquireAsync(LeaseName, LeaseDuration, cancellationToken);
        if (lease is null)
        {
            // Another instance is fetching: wait a little for what it stores.
            var until = time.GetUtcNow() + WaitForHolder;
            while (time.GetUtcNow() < until)
            {
                var current = await ReadAsync(cancellationToken);
                if (current is not null && current.Value != stale)
                {
                    return current.Value;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
            }

            return null;
        }

        var raw = await state.GetAsync(StateKey, cancellationToken);
        var stored = Parse(raw);
        var now = time.GetUtcNow();
        if (stored is not null && stored.Value != stale && stored.ExpiresAt > now && (stale is not null || stored.RefreshAt > now))
        {
            return stored.Value;
        }

        var settings = options.CurrentValue;
        var result = await api.GetTokenAsync(settings.AppId, settings.AppSecret, cancellationToken);
        if (result.ErrCode != 0 || string.IsNullOrEmpty(result.AccessToken) || result.ExpiresIn <= 0)
        {
            Log.TokenFetchFailed(logger, result.ErrCode, result.ErrMsg ?? "");
            return null;
        }

        now = time.GetUtcNow();
        var life = TimeSpan.FromSeconds(result.ExpiresIn);
        var token = new WeChatToken(result.AccessToken, now + life - TimeSpan.FromSeconds(Math.Min(60, result.ExpiresIn / 10)), now + life * 0.8);
        if (!await state.CompareAndSetAsync(StateKey, raw, JsonSerializer.Serialize(token), cancellationToken))
        {
            // Someone wrote meanwhile (a lease that ran out): theirs is the newer token.
            return (await ReadAsync(cancellationToken))?.Value;
        }

        Log.TokenRefreshed(logger, token.ExpiresAt);
        return token.Value;
    }

    private static WeChatToken? Parse(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<WeChatToken>(raw);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
