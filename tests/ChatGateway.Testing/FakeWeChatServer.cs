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

/// <summary>A customer-service message the fake accepted: text (<see cref="Content"/>) or an image (<see cref="MediaId"/>).</summary>
public sealed record WeChatSent(string ToUser, string MsgType, string? Content)
{
    public string? MediaId { get; init; }
}

/// <summary>A temporary media file uploaded to the fake (<c>media/upload</c>): its type, the multipart part's name and file name, its bytes.</summary>
public sealed record WeChatUpload(string MediaId, string Type, string FieldName, string? FileName, string? ContentType, byte[] Bytes);

/// <summary>
/// WeChat's API on a local Kestrel (127.0.0.1, a free port), speaking its wire format:
/// <list type="bullet">
/// <item><c>GET /cgi-bin/token?grant_type=client_credential&amp;appid=…&amp;secret=…</c>: <c>{"access_token","expires_in":7200}</c>
/// for the right AppID and secret (else errcode 40125); issuing a token invalidates the one before, as WeChat does; calls counted.</item>
/// <item><c>POST /cgi-bin/message/custom/send?access_token=…</c> <c>{"touser","msgtype":"text","text":{"content"}}</c>:
/// <c>{"errcode":0,"errmsg":"ok"}</c>, 40001 for a token that is not the current one, or an injected errcode.</item>
/// <item><c>GET /cgi-bin/media/get?access_token=…&amp;media_id=…</c>: the bytes added (or uploaded), else errcode 40007 (JSON);
/// <see cref="FailNextMedia"/> and <see cref="FailNextMediaWith"/> fail it on cue.</item>
/// <item><c>POST /cgi-bin/media/upload?access_token=…&amp;type=image</c>, multipart with the file in the field <c>media</c>:
/// <c>{"type","media_id","created_at"}</c>; 40004 for a type WeChat does not take or a file over 10 MB, 41005 without the field.</item>
/// <item><c>POST /cgi-bin/message/custom/send</c> also takes <c>{"msgtype":"image","image":{"media_id"}}</c> for media uploaded
/// here (else 40007).</item>
/// <item><c>GET /cgi-bin/user/info?access_token=…&amp;openid=…&amp;lang=zh_CN</c>: what <see cref="SetUserInfo"/> gave
/// (subscribe, openid, language, unionid if any), else errcode 40003; calls counted; <see cref="FailNextUserInfo"/>.</item>
/// </list>
/// WeChat answers errors with HTTP 200 and <c>{"errcode":…,"errmsg":…}</c>; <see cref="FailNextSend"/> injects an HTTP status.
/// </summary>
public sealed class FakeWeChatServer : IFakeProviderApi
{
    private readonly WebApplication _app;
    private readonly string _appId;
    private readonly string _secret;
    private readonly ConcurrentQueue<(int Status, int? RetryAfter)> _sendFailures = new();
    private readonly ConcurrentQueue<int> _sendErrCodes = new();
    private readonly ConcurrentQueue<WeChatSent> _sent = new();
    private readonly ConcurrentQueue<string?> _keys = new();
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> _media = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<int> _mediaFailures = new();
    private readonly ConcurrentQueue<int> _mediaErrCodes = new();
    private readonly ConcurrentQueue<WeChatUpload> _uploads = new();
    private readonly ConcurrentQueue<int> _uploadErrCodes = new();
    private readonly ConcurrentDictionary<string, (string Language, string? UnionId)> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<int> _userInfoFailures = new();
    private readonly ConcurrentQueue<string> _requestUris = new();
    private readonly ConcurrentQueue<int> _imageSendFailures = new();
    private int _mediaCalls;
    private int _userInfoCalls;
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

    /// <summary>The pictures uploaded as temporary media, oldest first.</summary>
    public IReadOnlyList<WeChatUpload> Uploads => [.. _uploads];

    /// <summary>How many <c>media/get</c> requests came (failed ones included).</summary>
    public int MediaCalls => Volatile.Read(ref _mediaCalls);

    /// <summary>How many <c>user/info</c> requests came.</summary>
    public int UserInfoCalls => Volatile.Read(ref _userInfoCalls);

    /// <summary>Every request's path and query, oldest first (to check what the plugin asked for).</summary>
    public IReadOnlyList<string> RequestUris => [.. _requestUris];

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
        app.Use(async (context, next) =>
        {
            fake._requestUris.Enqueue(context.Request.Path + context.Request.QueryString);
            await next(context);
        });
        app.MapGet("/cgi-bin/token", (HttpContext context) => fake.Token(context.Request.Query));
        app.MapPost("/cgi-bin/message/custom/send", (Func<HttpContext, Task<IResult>>)fake.SendAsync);
        app.MapGet("/cgi-bin/media/get", (HttpContext context) => fake.Media(context.Request.Query));
        app.MapPost("/cgi-bin/media/upload", (Func<HttpContext, Task<IResult>>)fake.UploadAsync);
        app.MapGet("/cgi-bin/user/info", (Func<HttpContext, Task<IResult>>)fake.UserInfoAsync);
        await app.StartAsync(cancellationToken);
        fake.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>Answers the next send with this HTTP status and WeChat's error body.</summary>
    public void FailNextSend(int statusCode) => _sendFailures.Enqueue((statusCode, null));

    /// <summary>Answers the next send with this HTTP status, WeChat's error body and a <c>Retry-After</c> header (seconds), as a proxy in front does.</summary>
    public void FailNextSend(int statusCode, int retryAfterSeconds) => _sendFailures.Enqueue((statusCode, retryAfterSeconds));

    /// <summary>Answers the next send (HTTP 200) with this errcode: 45015 (out of the 48 h window), 43004 (unfollowed), 45047…</summary>
    public void FailNextSendWith(int errCode) => _sendErrCodes.Enqueue(errCode);

    /// <summary>Answers the next <c>media/get</c> with this HTTP status (and WeChat's error body).</summary>
    public void FailNextMedia(int statusCode) => _mediaFailures.Enqueue(statusCode);

    /// <summary>Answers the next <c>media/get</c> (HTTP 200, JSON) with this errcode: -1 (busy), 45009…</summary>
    public void FailNextMediaWith(int errCode) => _mediaErrCodes.Enqueue(errCode);

    /// <summary>Answers the next <c>media/upload</c> (HTTP 200) with this errcode.</summary>
    public void FailNextUploadWith(int errCode) => _uploadErrCodes.Enqueue(errCode);

    /// <summary>What <c>user/info</c> answers for this OpenID (a follower: subscribe 1).</summary>
    public void SetUserInfo(string openId, string language, string? unionId = null) => _users[openId] = (language, unionId);

    /// <summary>Answers the next image send (not a text) with this HTTP status: a picture failing after its text went out.</summary>
    public void FailNextImageSend(int statusCode) => _imageSendFailures.Enqueue(statusCode);

    /// <summary>How long <c>user/info</c> takes to answer (zero by default): a WeChat that is slow to tell.</summary>
    public TimeSpan UserInfoDelay { get; set; }

    /// <summary>Answers the next <c>user/info</c> with this HTTP status.</summary>
    public void FailNextUserInfo(int statusCode) => _userInfoFailures.Enqueue(statusCode);

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
        if (_sendFailures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Results.Json(new { errcode = -1, errmsg = "system error" }, statusCode: failure.Status);
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
            string? mediaId = null;
            if (type.GetString() == "text")
            {
                if (!root.TryGetProperty("text", out var text) || !text.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                {
                    return Error(47001, "data format error");
                }

                content = c.GetString();
            }
            else if (type.GetString() == "image")
            {
                if (!root.TryGetProperty("image", out var image) || !image.TryGetProperty("media_id", out var m) || m.ValueKind != JsonValueKind.String)
                {
                    return Error(47001, "data format error");
                }

                mediaId = m.GetString()!;
                if (_imageSendFailures.TryDequeue(out var imageStatus))
                {
                    return Results.Json(new { errcode = -1, errmsg = "system error" }, statusCode: imageStatus);
                }

                if (!_uploads.Any(u => u.MediaId == mediaId && u.Type == "image"))
                {
                    return Error(40007, "invalid media_id");
                }
            }

            _sent.Enqueue(new WeChatSent(to.GetString()!, type.GetString()!, content) { MediaId = mediaId });
            return Error(0, "ok");
        }
    }

    private IResult Media(IQueryCollection query)
    {
        Interlocked.Increment(ref _mediaCalls);
        if (_mediaFailures.TryDequeue(out var status))
        {
            return Results.Json(new { errcode = -1, errmsg = "system error" }, statusCode: status);
        }

        if (!IsCurrent(query))
        {
            return Error(40001, "invalid credential, access_token is invalid or not latest");
        }

        if (_mediaErrCodes.TryDequeue(out var errCode))
        {
            return Error(errCode, errCode == -1 ? "system error" : "error");
        }

        return _media.TryGetValue(query["media_id"].ToString(), out var media)
            ? Results.Bytes(media.Bytes, media.ContentType)
            : Error(40007, "invalid media_id");
    }

    private async Task<IResult> UploadAsync(HttpContext context)
    {
        if (!IsCurrent(context.Request.Query))
        {
            return Error(40001, "invalid credential, access_token is invalid or not latest");
        }

        if (_uploadErrCodes.TryDequeue(out var errCode))
        {
            return Error(errCode, "error");
        }

        var type = context.Request.Query["type"].ToString();
        if (type is not ("image" or "voice" or "video" or "thumb"))
        {
            return Error(40004, "invalid media type");
        }

        if (!context.Request.HasFormContentType)
        {
            return Error(41005, "media data missing");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form.Files.GetFile("media") is not { } file)
        {
            return Error(41005, "media data missing");
        }

        // WeChat's image media: bmp/png/jpeg/jpg/gif, at most 10 MB.
        var contentType = file.ContentType;
        if (type == "image" && (file.Length > 10 * 1024 * 1024 || contentType is not ("image/jpeg" or "image/png" or "image/gif" or "image/bmp")))
        {
            return Error(40004, "invalid media type");
        }

        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, context.RequestAborted);
        }

        var mediaId = $"upload-{Interlocked.Increment(ref _serial)}-{Guid.NewGuid():N}";
        _uploads.Enqueue(new WeChatUpload(mediaId, type, file.Name, file.FileName, contentType, bytes));
        _media[mediaId] = (bytes, contentType);
        return Results.Json(new Dictionary<string, object> { ["type"] = type, ["media_id"] = mediaId, ["created_at"] = 1765000000 });
    }

    private async Task<IResult> UserInfoAsync(HttpContext context)
    {
        Interlocked.Increment(ref _userInfoCalls);
        if (UserInfoDelay > TimeSpan.Zero)
        {
            await Task.Delay(UserInfoDelay, context.RequestAborted);
        }

        var query = context.Request.Query;
        if (_userInfoFailures.TryDequeue(out var status))
        {
            return Results.Json(new { errcode = -1, errmsg = "system error" }, statusCode: status);
        }

        if (!IsCurrent(query))
        {
            return Error(40001, "invalid credential, access_token is invalid or not latest");
        }

        var openId = query["openid"].ToString();
        if (!_users.TryGetValue(openId, out var user))
        {
            return Error(40003, "invalid openid");
        }

        var answer = new Dictionary<string, object>
        {
            ["subscribe"] = 1,
            ["openid"] = openId,
            ["language"] = user.Language,
            ["subscribe_time"] = 1765000000,
            ["remark"] = "",
            ["groupid"] = 0,
            ["tagid_list"] = Array.Empty<int>(),
            ["subscribe_scene"] = "ADD_SCENE_QR_CODE",
            ["qr_scene"] = 0,
            ["qr_scene_str"] = "",
        };
        if (user.UnionId is not null)
        {
            answer["unionid"] = user.UnionId;
        }

        return Results.Json(answer);
    }

    private static IResult Error(int errCode, string errMsg) => Results.Json(new { errcode = errCode, errmsg = errMsg });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
