using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Testing;

/// <summary>A customer-service message the fake accepted.</summary>
public sealed record WeChatSent(string ToUser, string MsgType, string? Content);

/// <summary>
/// WeChat's API on a local Kestrel (127.0.0.1, a free port), speaking its wire format:
/// <list type="bullet">
/// <item><c>GET /cgi-bin/token?grant_type=client_credential&amp;appid=…&amp;secret=…</c>: <c>{"access_token","expires_in":7200}</c>
/// for the right AppID and secret (else errcode 40125); issuing a token invalidates the one before, as WeChat does; calls counted.</item>
/// <item><c>POST /cgi-bin/message/custom/send?access_token=…</c> <c>{"touser","msgtype":"text","text":{"content"}}</c>:
/// <c>{"errcode":0,"errmsg":"ok"}</c>, 40001 for a token that is not the current one, or an injected errcode.</item>
/// <item><c>GET /cgi-bin/media/get?access_token=…&amp;media_id=…</c>: the bytes added, else errcode 40007 (JSON).</item>
/// </list>
/// WeChat answers errors with HTTP 200 and <c>{"errcode":…,"errmsg":…}</c>; <see cref="FailNextSend"/> injects an HTTP status.
/// </summary>
public sealed class FakeWeChatServer : IFakeProviderApi
{
    private readonly WebApplication _app;
    private readonly string _appId;
    private readonly string _secret;
    private readonly ConcurrentQueue<int> _sendFailures = new();
    private readonly ConcurrentQueue<int> _sendErrCodes = new();
    private readonly ConcurrentQueue<WeChatSent> _sent = new();
    private readonly ConcurrentQueue<string?> _keys = new();
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> _media = new(StringComparer.Ordinal);
    private readonly Lock _tokenLock = new();
    private string? _token;
    private int _tokenCalls;
    private int _serial;

    private FakeWeChatServer(WebApplication app, string appId, string secret)
    {
        _app = app;
        _appId = appId;
        _secret = secret;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>An instance's settings that talk to this fake (its API, the AppID and secret it checks).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ApiBaseAddress"] = BaseAddress.ToString(),
        ["AppId"] = _appId,
        ["AppSecret"] = _secret,
    };

    /// <summary>WeChat takes no idempotency key: null for each send request.</summary>
    public IReadOnlyList<string?> SendKeys => [.. _keys];

    public IReadOnlyList<WeChatSent> Sent => [.. _sent];

    /// <summary>How many tokens were issued.</summary>
    public int TokenCalls => Volatile.Read(ref _tokenCalls);

    /// <summary>The token valid now (the last one issued), if any.</summary>
    public string? CurrentToken
    {
        get
        {
            lock (_tokenLock)
            {
                return _token;
            }
        }
    }

    public static async Task<FakeWeChatServer> StartAsync(string appId = "wx5823bf96d3bd56c7", string secret = "fake-app-secret", CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var fake = new FakeWeChatServer(app, appId, secret);
        app.MapGet("/cgi-bin/token", (HttpContext context) => fake.Token(context.Request.Query));
        app.MapPost("/cgi-bin/message/custom/send", (Func<HttpContext, Task<IResult>>)fake.SendAsync);
        app.MapGet("/cgi-bin/media/get", (HttpContext context) => fake.Media(context.Request.Query));
        await app.StartAsync(cancellationToken);
        fake.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>Answers the next send with this HTTP status and WeChat's error body.</summary>
    public void FailNextSend(int statusCode) => _sendFailures.Enqueue(statusCode);

    /// <summary>Answers the next send (HTTP 200) with this errcode: 45015 (out of the 48 h window), 43004 (unfollowed), 45047…</summary>
    public void FailNextSendWith(int errCode) => _sendErrCodes.Enqueue(errCode);

    /// <summary>Makes the current token invalid at WeChat (as when another party fetched one): the next send gets 40001.</summary>
    public void InvalidateToken()
    {
        lock (_tokenLock)
        {
            _token = "revoked-" + Guid.NewGuid().ToString("N");
        }
    }

    /// <summary>WeChat's webhook signature: SHA1 hex of the parts sorted ordinally and concatenated (token, timestamp, nonce[, Encrypt]).</summary>
    public static string Sign(params string[] parts)
    {
        var sorted = parts.Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
    }

    /// <summary>
    /// Safe mode as WeChat encrypts: AES-256-CBC, key = Base64(EncodingAESKey + "="), IV = its first 16 bytes, over 16 random
    /// bytes + the XML's length (4 bytes, big-endian) + the XML + the AppID, PKCS#7-padded to 32 bytes.
    /// </summary>
    public static string Encrypt(string encodingAesKey, string appId, byte[] xml)
    {
        var key = Convert.FromBase64String(encodingAesKey + "=");
        var app = Encoding.UTF8.GetBytes(appId);
        var length = 20 + xml.Length + app.Length;
        var pad = 32 - (length % 32);
        var plain = new byte[length + pad];
        RandomNumberGenerator.Fill(plain.AsSpan(0, 16));
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(16, 4), xml.Length);
        xml.CopyTo(plain, 20);
        app.CopyTo(plain, 20 + xml.Length);
        plain.AsSpan(length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, key.AsSpan(0, 16), PaddingMode.None));
    }

    /// <summary>The first customer-service message matching, waiting for it up to <paramref name="timeout"/> (15 s).</summary>
    public async Task<WeChatSent> WaitForSentAsync(Func<WeChatSent, bool> match, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            if (_sent.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("WeChat received no matching customer-service message; it got: " + JsonSerializer.Serialize(Sent));
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A media file <c>/cgi-bin/media/get</c> serves.</summary>
    public void AddMedia(string mediaId, byte[] bytes, string contentType) => _media[mediaId] = (bytes, contentType);

    private IResult Token(IQueryCollection query)
    {
        if (query["grant_type"] != "client_credential" || query["appid"] != _appId || query["secret"] != _secret)
        {
            return Error(40125, "invalid appsecret");
        }

        Interlocked.Increment(ref _tokenCalls);
        lock (_tokenLock)
        {
            _token = $"token-{Interlocked.Increment(ref _serial)}-{Guid.NewGuid():N}";
            return Results.Json(new Dictionary<string, object> { ["access_token"] = _token, ["expires_in"] = 7200 });
        }
    }

    private bool IsCurrent(IQueryCollection query)
    {
        lock (_tokenLock)
        {
            return _token is not null && query["access_token"] == _token;
        }
    }

    private async Task<IResult> SendAsync(HttpContext context)
    {
        _keys.Enqueue(null);
        if (_sendFailures.TryDequeue(out var status))
        {
            return Results.Json(new { errcode = -1, errmsg = "system error" }, statusCode: status);
        }

        if (!IsCurrent(context.Request.Query))
        {
            return Error(40001, "invalid credential, access_token is invalid or not latest");
        }

        if (_sendErrCodes.TryDequeue(out var errCode))
        {
            return Error(errCode, errCode switch
            {
                45015 => "response out of time limit or subscription is canceled",
                43004 => "require subscribe",
                45047 => "out of response count limit",
                _ => "error",
            });
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return Error(47001, "data format error");
        }

        using (body)
        {
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("touser", out var to) || to.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("msgtype", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return Error(47001, "data format error");
            }

            string? content = null;
            if (type.GetString() == "text")
            {
                if (!root.TryGetProperty("text", out var text) || !text.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                {
                    return Error(47001, "data format error");
                }

                content = c.GetString();
            }

            _sent.Enqueue(new WeChatSent(to.GetString()!, type.GetString()!, content));
            return Error(0, "ok");
        }
    }

    private IResult Media(IQueryCollection query)
    {
        if (!IsCurrent(query))
        {
            return Error(40001, "invalid credential, access_token is invalid or not latest");
        }

        return _media.TryGetValue(query["media_id"].ToString(), out var media)
            ? Results.Bytes(media.Bytes, media.ContentType)
            : Error(40007, "invalid media_id");
    }

    private static IResult Error(int errCode, string errMsg) => Results.Json(new { errcode = errCode, errmsg = errMsg });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
