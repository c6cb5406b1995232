using System.Collections.Concurrent;
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
