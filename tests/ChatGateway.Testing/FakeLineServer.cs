using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Testing;

/// <summary>A reply or push the fake accepted: the reply token (replies) or <c>to</c> (pushes), the texts, the retry key.</summary>
public sealed record LineSent(string Api, string? ReplyToken, string? To, IReadOnlyList<string> Texts, string? RetryKey, string MessageId);

/// <summary>One request the fake answered: method, path (with query), the status.</summary>
public sealed record LineRequest(string Method, string Path, int Status);

/// <summary>
/// LINE's Messaging API and its content host on one local Kestrel (127.0.0.1, a free port), speaking LINE's wire format:
/// <list type="bullet">
/// <item><c>POST /v2/bot/message/reply</c> <c>{replyToken, messages:[{type:"text",text}]}</c>: a token the fake issued
/// (<see cref="IssueReplyToken"/>), once; any other is 400 <c>{"message":"Invalid reply token"}</c>.</item>
/// <item><c>POST /v2/bot/message/push</c> <c>{to, messages}</c> with an optional <c>X-Line-Retry-Key</c> (a UUID, else
/// 400): a key accepted before is answered 409 with <c>x-line-accepted-request-id</c> and nothing is sent again.</item>
/// <item>Both answer <c>{"sentMessages":[{"id","quoteToken"}]}</c> with <c>x-line-request-id</c>; 1-5 messages of 1-5,000
/// characters, else 400 with <c>details</c>.</item>
/// <item><c>GET /v2/bot/profile/{userId}</c>, <c>/v2/bot/group/{groupId}/member/{userId}</c>,
/// <c>/v2/bot/room/{roomId}/member/{userId}</c>, <c>/v2/bot/group/{groupId}/summary</c>: of the users and groups added,
/// else 404.</item>
/// <item><c>GET /v2/bot/message/{messageId}/content</c> (LINE's data host): the bytes added, with their content type.</item>
/// <item><c>GET /pictures/{name}</c>: profile pictures, public (no token), as LINE's CDN serves them.</item>
/// </list>
/// Every <c>/v2</c> call needs <c>Authorization: Bearer {token}</c> (401 otherwise); errors are LINE's
/// <c>{"message": ..., "details": [...]}</c>. Failures can be injected.
/// </summary>
public sealed class FakeLineServer : IFakeProviderApi
{
    private readonly WebApplication _app;
    private readonly string _accessToken;
    private readonly ConcurrentQueue<(int Status, int? RetryAfter)> _sendFailures = new();
    private readonly ConcurrentQueue<int> _contentFailures = new();
    private readonly ConcurrentQueue<LineSent> _sent = new();
    private readonly ConcurrentQueue<string?> _keys = new();
    private readonly ConcurrentQueue<LineRequest> _requests = new();
    private readonly ConcurrentDictionary<string, bool> _replyTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _acceptedKeys = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string Name, string? Language, string? Picture)> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Name, string? Picture)> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> _content = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> _pictures = new(StringComparer.Ordinal);
    private int _count;

    private FakeLineServer(WebApplication app, string accessToken)
    {
        _app = app;
        _accessToken = accessToken;
    }

    /// <summary>Where the fake listens, e.g. <c>http://127.0.0.1:54321/</c>: both the API and the data host.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>An instance's settings that send to this fake (its API, its data host, the token it checks).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ApiBaseAddress"] = BaseAddress.ToString(),
        ["DataApiBaseAddress"] = BaseAddress.ToString(),
        ["ChannelAccessToken"] = _accessToken,
    };

    /// <summary>The <c>X-Line-Retry-Key</c> of each push, null for one without (replies take none), oldest first.</summary>
    public IReadOnlyList<string?> SendKeys => [.. _keys];

    /// <summary>Replies and pushes accepted, oldest first.</summary>
    public IReadOnlyList<LineSent> Sent => [.. _sent];

    /// <summary>Every request answered, oldest first.</summary>
    public IReadOnlyList<LineRequest> Requests => [.. _requests];

    public static async Task<FakeLineServer> StartAsync(string accessToken, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var fake = new FakeLineServer(app, accessToken);
        app.Use((context, next) =>
        {
            // Recorded as the answer starts, so a caller that has the answer finds its request here.
            context.Response.OnStarting(() =>
            {
                fake._requests.Enqueue(new LineRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Response.StatusCode));
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.MapPost("/v2/bot/message/reply", (Func<HttpContext, Task<IResult>>)fake.ReplyAsync);
        app.MapPost("/v2/bot/message/push", (Func<HttpContext, Task<IResult>>)fake.PushAsync);
        app.MapGet("/v2/bot/profile/{userId}", (HttpContext context, string userId) => fake.Authorized(context) ?? fake.Profile(userId, withLanguage: true));
        app.MapGet("/v2/bot/group/{groupId}/member/{userId}", (HttpContext context, string groupId, string userId) =>
            fake.Authorized(context) ?? (fake._groups.ContainsKey(groupId) ? fake.Profile(userId, withLanguage: false) : NotFound()));
        app.MapGet("/v2/bot/room/{roomId}/member/{userId}", (HttpContext context, string roomId, string userId) =>
            fake.Authorized(context) ?? (fake._rooms.ContainsKey(roomId) ? fake.Profile(userId, withLanguage: false) : NotFound()));
        app.MapGet("/v2/bot/group/{groupId}/summary", (HttpContext context, string groupId) => fake.Authorized(context)
            ?? (fake._groups.TryGetValue(groupId, out var group)
                ? Results.Json(new { groupId, groupName = group.Name, pictureUrl = fake.PictureUrl(group.Picture) }, options: Json)
                : NotFound()));
        app.MapGet("/v2/bot/message/{messageId}/content", (HttpContext context, string messageId) =>
        {
            if (fake.Authorized(context) is { } refused)
            {
                return refused;
            }

            if (fake._contentFailures.TryDequeue(out var failure))
            {
                return Error(failure, $"failed as the test asked ({failure})");
            }

            return fake._content.TryGetValue(messageId, out var content) ? Results.Bytes(content.Bytes, content.ContentType) : NotFound();
        });
        app.MapGet("/pictures/{name}", (string name) =>
            fake._pictures.TryGetValue(name, out var picture) ? Results.Bytes(picture.Bytes, picture.ContentType) : Results.NotFound());
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>The webhook signature LINE sends in <c>x-line-signature</c>: base64 HMAC-SHA256 of the body, keyed by the channel secret.</summary>
    public static string Sign(string channelSecret, byte[] body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(channelSecret), body));

    /// <summary>A new reply token the fake's reply API takes once, as LINE puts one in each event that can be answered.</summary>
    public string IssueReplyToken()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _replyTokens[token] = true;
        return token;
    }

    /// <summary>A LINE user the profile APIs know (a member of every group and room added), with a picture when given.</summary>
    public void AddUser(string userId, string displayName, string? language = null, byte[]? picture = null)
    {
        _users[userId] = (displayName, language, AddPicture(picture));
    }

    public void AddGroup(string groupId, string name, byte[]? picture = null) => _groups[groupId] = (name, AddPicture(picture));

    public void AddRoom(string roomId) => _rooms[roomId] = true;

    /// <summary>The content of a customer's message, served by the data host.</summary>
    public void AddContent(string messageId, byte[] bytes, string contentType) => _content[messageId] = (bytes, contentType);

    /// <summary>Answers the next reply or push with this status and LINE's error body for it.</summary>
    public void FailNextSend(int statusCode) => _sendFailures.Enqueue((statusCode, null));

    /// <summary>Answers the next reply or push with this status, LINE's error body and a <c>Retry-After</c> header (seconds).</summary>
    public void FailNextSend(int statusCode, int retryAfterSeconds) => _sendFailures.Enqueue((statusCode, retryAfterSeconds));

    /// <summary>Answers the next content download with this status.</summary>
    public void FailNextContent(int statusCode) => _contentFailures.Enqueue(statusCode);

    /// <summary>How many requests were made to this path (e.g. <c>/v2/bot/profile/U1</c>).</summary>
    public int CountOf(string path) => _requests.Count(r => r.Path == path);

    /// <summary>Waits for a reply or push matching <paramref name="match"/>.</summary>
    public async Task<LineSent> WaitForSentAsync(Func<LineSent, bool> match, TimeSpan? timeout = null)
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
                throw new TimeoutException("LINE received no matching reply or push; it got: " + JsonSerializer.Serialize(Sent));
            }

            await Task.Delay(50);
        }
    }

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private string? AddPicture(byte[]? picture)
    {
        if (picture is null)
        {
            return null;
        }

        var name = Guid.NewGuid().ToString("N");
        _pictures[name] = (picture, picture is [0x89, (byte)'P', ..] ? "image/png" : "image/jpeg");
        return name;
    }

    private string? PictureUrl(string? name) => name is null ? null : new Uri(BaseAddress, $"pictures/{name}").ToString();

    private IResult Profile(string userId, bool withLanguage) => _users.TryGetValue(userId, out var user)
        ? Results.Json(new { displayName = user.Name, userId, language = withLanguage ? user.Language : null, pictureUrl = PictureUrl(user.Picture) }, options: Json)
        : NotFound();

    private IResult? Authorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() == $"Bearer {_accessToken}"
            ? null
            : Error(StatusCodes.Status401Unauthorized, "Authentication failed. Confirm that the access token in the authorization header is valid.");

    private async Task<IResult> ReplyAsync(HttpContext context)
    {
        if (Authorized(context) is { } refused)
        {
            return refused;
        }

        if (_sendFailures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Error(failure.Status, $"failed as the test asked ({failure.Status})");
        }

        var (body, texts, invalid) = await ReadMessagesAsync(context);
        if (invalid is not null)
        {
            return invalid;
        }

        var token = body.TryGetProperty("replyToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (token is null || !_replyTokens.TryRemove(token, out _))
        {
            return Error(StatusCodes.Status400BadRequest, "Invalid reply token");
        }

        return Accept(context, new LineSent("reply", token, null, texts!, null, ""));
    }

    private async Task<IResult> PushAsync(HttpContext context)
    {
        if (Authorized(context) is { } refused)
        {
            return refused;
        }

        var key = context.Request.Headers["X-Line-Retry-Key"].ToString();
        _keys.Enqueue(key.Length == 0 ? null : key);
        if (key.Length > 0 && !Guid.TryParseExact(key, "D", out _))
        {
            return Error(StatusCodes.Status400BadRequest, "The value for the 'X-Line-Retry-Key' header is invalid");
        }

        if (key.Length > 0 && _acceptedKeys.TryGetValue(key, out var acceptedRequest))
        {
            context.Response.Headers["x-line-accepted-request-id"] = acceptedRequest;
            return Error(StatusCodes.Status409Conflict, "The retry key is already accepted");
        }

        if (_sendFailures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Error(failure.Status, $"failed as the test asked ({failure.Status})");
        }

        var (body, texts, invalid) = await ReadMessagesAsync(context);
        if (invalid is not null)
        {
            return invalid;
        }

        var to = body.TryGetProperty("to", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (string.IsNullOrEmpty(to))
        {
            return Error(StatusCodes.Status400BadRequest, "The request body has 1 error(s)", ("must be specified", "to"));
        }

        return Accept(context, new LineSent("push", null, to, texts!, key.Length == 0 ? null : key, ""));
    }

    private IResult Accept(HttpContext context, LineSent sent)
    {
        var n = Interlocked.Increment(ref _count);
        var requestId = $"req-{n:D4}";
        var ids = sent.Texts.Select((_, i) => $"{n}{i:D3}").ToList();
        _sent.Enqueue(sent with { MessageId = ids[0] });
        if (sent.RetryKey is { } key)
        {
            _acceptedKeys[key] = requestId;
        }

        context.Response.Headers["x-line-request-id"] = requestId;
        return Results.Json(new { sentMessages = ids.Select(id => new { id, quoteToken = $"q{id}" }) });
    }

    /// <summary>The body and its texts, or LINE's 400 for a body it would refuse.</summary>
    private static async Task<(JsonElement Body, IReadOnlyList<string>? Texts, IResult? Invalid)> ReadMessagesAsync(HttpContext context)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (default, null, Error(StatusCodes.Status400BadRequest, "The request body could not be parsed as JSON"));
        }

        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array
            || messages.GetArrayLength() is < 1 or > 5)
        {
            return (body, null, Error(StatusCodes.Status400BadRequest, "The request body has 1 error(s)", ("Size must be between 1 and 5", "messages")));
        }

        var texts = new List<string>();
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var type = message.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String ? ty.GetString() : null;
            var text = message.TryGetProperty("text", out var tx) && tx.ValueKind == JsonValueKind.String ? tx.GetString() : null;
            if (type != "text" || string.IsNullOrEmpty(text) || text.Length > 5000)
            {
                return (body, null, Error(StatusCodes.Status400BadRequest, "The request body has 1 error(s)", ("Length must be between 1 and 5000", $"messages[{i}].text")));
            }

            texts.Add(text);
            i++;
        }

        return (body, texts, null);
    }

    private static IResult NotFound() => Error(StatusCodes.Status404NotFound, "Not found");

    private static IResult Error(int status, string message, params (string Message, string Property)[] details) =>
        Results.Json(
            details.Length == 0
                ? new { message, details = (object[]?)null }
                : new { message, details = (object[]?)details.Select(d => (object)new { message = d.Message, property = d.Property }).ToArray() },
            Json,
            statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
