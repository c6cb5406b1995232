using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

using ChatGateway.Testing.Conformance;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Testing;

/// <summary>
/// A message the fake accepted: its recipient, type, and the text (or caption) and media id it carried. For a template:
/// <see cref="FileName"/> is its name, <see cref="MediaId"/> its language, <see cref="Text"/> its body's variables joined by <c>|</c>.
/// </summary>
public sealed record WhatsAppSent(string To, string Type, string? Text, string? MediaId, string? FileName, string MessageId);

/// <summary>A file uploaded to <c>/media</c>: its bytes, the type given, the file name.</summary>
public sealed record WhatsAppUpload(string MediaId, byte[] Bytes, string? ContentType, string? FileName);

/// <summary>
/// The WhatsApp Cloud API (Graph) on one local Kestrel (127.0.0.1, a free port), speaking Graph's wire format:
/// <list type="bullet">
/// <item><c>POST /{version}/{phone-number-id}/messages</c> <c>{messaging_product:"whatsapp", to, type:"text"|"image"|"document",
/// text:{body} | image:{id,caption} | document:{id,filename,caption}}</c>, answered
/// <c>{"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id":"wamid.…"}]}</c>; a media id it did not
/// issue is 400.</item>
/// <item><c>POST /{version}/{phone-number-id}/media</c> (multipart: <c>messaging_product</c>, <c>type</c>, <c>file</c>), answered <c>{"id"}</c>.</item>
/// <item><c>GET /{version}/{media-id}</c>: <c>{"url","mime_type","sha256","file_size","id","messaging_product"}</c> for media
/// added with <see cref="AddMedia"/>, else 400 (code 100, subcode 33); and <c>GET /download/{media-id}</c>, that url: the bytes.</item>
/// </list>
/// Every call needs <c>Authorization: Bearer {token}</c> (401, code 190, otherwise); errors are Graph's
/// <c>{"error":{"message","type","code","error_subcode","fbtrace_id"}}</c>. Failures and the closed 24-hour window can be injected.
/// </summary>
public sealed partial class FakeWhatsAppServer : IFakeProviderApi
{
    private readonly WebApplication _app;
    private readonly string _accessToken;
    private readonly string _phoneNumberId;
    private readonly ConcurrentQueue<(int Status, int? Code, TimeSpan? RetryAfter)> _sendFailures = new();
    private readonly ConcurrentQueue<int> _downloadFailures = new();
    private readonly ConcurrentQueue<int> _lookupFailures = new();
    private readonly ConcurrentQueue<WhatsAppSent> _sent = new();
    private readonly ConcurrentQueue<WhatsAppUpload> _uploads = new();
    private readonly ConcurrentQueue<string?> _keys = new();
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> _media = new(StringComparer.Ordinal);
    private int _count;
    private int _lookups;
    private int _downloads;

    private FakeWhatsAppServer(WebApplication app, string accessToken, string phoneNumberId)
    {
        _app = app;
        _accessToken = accessToken;
        _phoneNumberId = phoneNumberId;
    }

    /// <summary>Where the fake listens, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>An instance's settings that send to this fake (its address, the token it checks, its phone number id).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ApiBaseAddress"] = BaseAddress.ToString(),
        ["AccessToken"] = _accessToken,
        ["PhoneNumberId"] = _phoneNumberId,
    };

    /// <summary>Graph takes no idempotency key: null for each send request, oldest first.</summary>
    public IReadOnlyList<string?> SendKeys => [.. _keys];

    /// <summary>Messages accepted, oldest first.</summary>
    public IReadOnlyList<WhatsAppSent> Sent => [.. _sent];

    /// <summary>Files uploaded, oldest first.</summary>
    public IReadOnlyList<WhatsAppUpload> Uploads => [.. _uploads];

    /// <summary>
    /// True: the customer last wrote more than 24 hours ago, so every free-form message is refused with Graph's
    /// re-engagement error (400, code 131047); templates still go.
    /// </summary>
    public bool WindowClosed { get; set; }

    /// <summary>Media lookups (<c>GET /{version}/{media-id}</c>) received, failed ones included.</summary>
    public int MediaLookups => Volatile.Read(ref _lookups);

    /// <summary>Media downloads (<c>GET /download/{media-id}</c>) received, failed ones included.</summary>
    public int MediaDownloads => Volatile.Read(ref _downloads);

    /// <summary>
    /// When set, a lookup gives the media's address on this host (same port) instead of the fake's own, as if Meta
    /// pointed elsewhere: a client that sends its token to any host it is given would show up here.
    /// </summary>
    public string? MediaUrlHost { get; set; }

    public static async Task<FakeWhatsAppServer> StartAsync(string accessToken, string phoneNumberId, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var fake = new FakeWhatsAppServer(app, accessToken, phoneNumberId);
        app.MapPost("/{version}/{phoneNumberId}/messages", (Func<HttpContext, string, string, Task<IResult>>)fake.SendAsync);
        app.MapPost("/{version}/{phoneNumberId}/media", (Func<HttpContext, string, string, Task<IResult>>)fake.UploadAsync);
        app.MapGet("/{version}/{mediaId}", (HttpContext context, string version, string mediaId) =>
        {
            Interlocked.Increment(ref fake._lookups);
            if (fake.Authorized(context) is { } refused)
            {
                return refused;
            }

            if (fake._lookupFailures.TryDequeue(out var failure))
            {
                return FailureFor(context, failure);
            }

            return fake.MediaUrl(version, mediaId);
        });
        app.MapGet("/download/{mediaId}", (HttpContext context, string mediaId) =>
        {
            Interlocked.Increment(ref fake._downloads);
            if (fake.Authorized(context) is { } refused)
            {
                return refused;
            }

            if (fake._downloadFailures.TryDequeue(out var failure))
            {
                return failure == 404 ? Results.NotFound() : FailureFor(context, failure);
            }

            return fake._media.TryGetValue(mediaId, out var media) ? Results.Bytes(media.Bytes, media.ContentType) : Results.NotFound();
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>The <c>X-Hub-Signature-256</c> Meta sends with a webhook body.</summary>
    public static string Sign(string appSecret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));

    /// <summary>A customer's media, served at its lookup and download addresses.</summary>
    public void AddMedia(string mediaId, byte[] bytes, string contentType) => _media[mediaId] = (bytes, contentType);

    /// <summary>Answers the next send with this status and Graph's error body for it (429: code 130429; 5xx: code 2; else code 100).</summary>
    public void FailNextSend(int statusCode) => _sendFailures.Enqueue((statusCode, null, null));

    /// <summary>Answers the next send with this status, Graph's error <paramref name="code"/>, and a <c>Retry-After</c> header (seconds) when given.</summary>
    public void FailNextSend(int statusCode, int code, TimeSpan? retryAfter = null) => _sendFailures.Enqueue((statusCode, code, retryAfter));

    /// <summary>
    /// Answers the next media download (not the lookup) with this status (404 bare, others Graph's error body); 0 breaks the
    /// connection off without an answer.
    /// </summary>
    public void FailNextDownload(int statusCode) => _downloadFailures.Enqueue(statusCode);

    /// <summary>Answers the next media lookup with this status and Graph's error body (0: breaks the connection off).</summary>
    public void FailNextLookup(int statusCode) => _lookupFailures.Enqueue(statusCode);

    /// <summary>Waits for a message matching <paramref name="match"/>.</summary>
    public async Task<WhatsAppSent> WaitForSentAsync(Func<WhatsAppSent, bool> match, TimeSpan? timeout = null)
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
                throw new TimeoutException("WhatsApp received no matching message; it got: " + JsonSerializer.Serialize(Sent));
            }

            await Task.Delay(50);
        }
    }

    private IResult? Authorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() == $"Bearer {_accessToken}"
            ? null
            : GraphError(StatusCodes.Status401Unauthorized, 190, "Invalid OAuth access token - Cannot parse access token", type: "OAuthException");

    private IResult? Path(string version, string phoneNumberId) =>
        !Version().IsMatch(version) ? GraphError(400, 2500, "Unknown path components")
        : phoneNumberId != _phoneNumberId ? GraphError(400, 100, "Unsupported post request. Object with ID does not exist", subcode: 33)
        : null;

    private async Task<IResult> SendAsync(HttpContext context, string version, string phoneNumberId)
    {
        if ((Authorized(context) ?? Path(version, phoneNumberId)) is { } refused)
        {
            return refused;
        }

        if (context.Request.ContentLength is null)
        {
            return GraphError(400, 100, "Content-Length is required");
        }

        _keys.Enqueue(null);
        if (_sendFailures.TryDequeue(out var failure))
        {
            if (failure.RetryAfter is { } wait)
            {
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var code = failure.Code ?? failure.Status switch { 429 => 130429, >= 500 => 2, _ => 100 };
            return GraphError(failure.Status, code, code switch
            {
                130429 => "Rate limit hit",
                131056 => "(Business Account, Consumer Account) pair rate limit hit",
                2 => "Service temporarily unavailable",
                _ => "Invalid parameter",
            });
        }

        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var root = body.RootElement;
        var to = String(root, "to");
        var type = String(root, "type");
        if (String(root, "messaging_product") != "whatsapp" || string.IsNullOrEmpty(to) || string.IsNullOrEmpty(type))
        {
            return GraphError(400, 100, "Invalid parameter: messaging_product, to and type are required");
        }

        if (WindowClosed && type != "template")
        {
            return GraphError(400, 131047, "Re-engagement message", title: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.");
        }

        string? text = null, mediaId = null, fileName = null;
        var content = root.TryGetProperty(type, out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        switch (type)
        {
            case "text":
                text = String(content, "body");
                if (string.IsNullOrEmpty(text) || text.Length > 4096)
                {
                    return GraphError(400, 100, "Param text['body'] is required and at most 4096 characters");
                }

                break;
            case "template":
                // An approved template: its name and language, the body's variables joined as the text.
                fileName = String(content, "name");
                var language = content.ValueKind == JsonValueKind.Object && content.TryGetProperty("language", out var l) ? String(l, "code") : null;
                if (string.IsNullOrEmpty(fileName) || string.IsNullOrEmpty(language))
                {
                    return GraphError(400, 132001, "Template name does not exist in the translation");
                }

                var variables = content.TryGetProperty("components", out var components) && components.ValueKind == JsonValueKind.Array
                    ? components.EnumerateArray()
                        .Where(component => String(component, "type") == "body" && component.TryGetProperty("parameters", out _))
                        .SelectMany(component => component.GetProperty("parameters").EnumerateArray().Select(parameter => String(parameter, "text") ?? ""))
                        .ToList()
                    : [];
                if (variables.Any(v => v.Contains('\n', StringComparison.Ordinal) || v.Contains('\t', StringComparison.Ordinal) || v.Contains("     ", StringComparison.Ordinal)))
                {
                    return GraphError(400, 132018, "There was an issue with the parameters in your template.");
                }

                text = string.Join("|", variables);
                mediaId = language;
                break;
            case "image" or "document":
                mediaId = String(content, "id");
                if (mediaId is null || !_uploads.Any(u => u.MediaId == mediaId))
                {
                    return GraphError(400, 131053, "Media upload error: unknown media id");
                }

                text = String(content, "caption");
                fileName = String(content, "filename");
                break;
            default:
                return GraphError(400, 100, $"Param type {type} is not supported by this fake");
        }

        var id = $"wamid.FAKE{Interlocked.Increment(ref _count):D6}";
        _sent.Enqueue(new WhatsAppSent(to, type, text, mediaId, fileName, id));
        return Results.Json(new { messaging_product = "whatsapp", contacts = new[] { new { input = to, wa_id = to.TrimStart('+') } }, messages = new[] { new { id } } });
    }

    private async Task<IResult> UploadAsync(HttpContext context, string version, string phoneNumberId)
    {
        if ((Authorized(context) ?? Path(version, phoneNumberId)) is { } refused)
        {
            return refused;
        }

        if (!context.Request.HasFormContentType)
        {
            return GraphError(400, 100, "The request must be multipart/form-data");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var file = form.Files.GetFile("file");
        if (form["messaging_product"].ToString() != "whatsapp" || file is null || file.Length == 0)
        {
            return GraphError(400, 100, "Param messaging_product and file are required");
        }

        using var bytes = new MemoryStream();
        await file.CopyToAsync(bytes, context.RequestAborted);
        var mediaId = $"{Interlocked.Increment(ref _count) + 900000000000000L}";
        _uploads.Enqueue(new WhatsAppUpload(mediaId, bytes.ToArray(), form["type"].ToString() is { Length: > 0 } t ? t : file.ContentType, file.FileName));
        return Results.Json(new { id = mediaId });
    }

    private IResult MediaUrl(string version, string mediaId)
    {
        if (!Version().IsMatch(version))
        {
            return GraphError(400, 2500, "Unknown path components");
        }

        if (!_media.TryGetValue(mediaId, out var media))
        {
            return GraphError(400, 100, $"Unsupported get request. Object with ID '{mediaId}' does not exist", subcode: 33);
        }

        return Results.Json(new
        {
            messaging_product = "whatsapp",
            url = new UriBuilder(new Uri(BaseAddress, $"download/{mediaId}")) { Host = MediaUrlHost ?? BaseAddress.Host }.Uri.ToString(),
            mime_type = media.ContentType,
            sha256 = Convert.ToHexStringLower(SHA256.HashData(media.Bytes)),
            file_size = media.Bytes.Length,
            id = mediaId,
        });
    }

    /// <summary>A failure on cue: 0 aborts the connection (a network error at the client), else Graph's error for the status.</summary>
    private static IResult FailureFor(HttpContext context, int status)
    {
        if (status == 0)
        {
            context.Abort();
            return Results.Empty;
        }

        return GraphError(status, status == 429 ? 130429 : status >= 500 ? 2 : 100, status >= 500 ? "Service temporarily unavailable" : "Invalid parameter");
    }

    private static IResult GraphError(int status, int code, string message, int? subcode = null, string type = "OAuthException", string? title = null) =>
        Results.Json(new
        {
            error = new
            {
                message,
                type,
                code,
                error_subcode = subcode,
                error_data = title is null ? null : new { messaging_product = "whatsapp", details = title },
                fbtrace_id = "AFakeTraceId" + code,
            },
        }, statusCode: status);

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(@"^v[0-9]+\.[0-9]+$")]
    private static partial Regex Version();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
