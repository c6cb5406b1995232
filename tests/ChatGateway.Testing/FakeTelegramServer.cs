using System.Collections.Concurrent;
using System.Globalization;
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

/// <summary>
/// A message the fake accepted: the method (<c>sendMessage</c>, <c>sendPhoto</c>, <c>sendDocument</c>), the chat, the text
/// (or caption), an uploaded file's name, type and bytes, the <c>reply_markup</c> as JSON, the message id it answered.
/// </summary>
public sealed record TelegramSent(
    string Method, string ChatId, string? Text, string? FileName, string? ContentType, byte[]? File, string? ReplyMarkup, long MessageId);

/// <summary>One request the fake answered: method, path (the token replaced by <c>{token}</c>), the status.</summary>
public sealed record TelegramRequest(string Method, string Path, int Status);

/// <summary>
/// Telegram's Bot API on one local Kestrel (127.0.0.1, a free port), speaking its wire format:
/// <list type="bullet">
/// <item><c>POST /bot{token}/{method}</c> with JSON, form or multipart parameters, answering
/// <c>{"ok":true,"result":…}</c> or <c>{"ok":false,"error_code":…,"description":…[,"parameters":{"retry_after":…}]}</c>
/// with the same HTTP status; another token is 401 <c>Unauthorized</c>, an unknown method 404 <c>Not Found</c>.</item>
/// <item><c>sendMessage</c> (chat_id, text of 1-4,096 characters, reply_markup), <c>sendPhoto</c> / <c>sendDocument</c>
/// (an uploaded file part <c>photo</c> / <c>document</c>, caption): the sent Message; a numeric chat_id only (else 400
/// <c>chat not found</c>); a chat that blocked the bot answers 403 <c>Forbidden: bot was blocked by the user</c>.</item>
/// <item><c>getFile</c> (file_id): the File with its <c>file_path</c> for a file added, 400 <c>file is too big</c> for one
/// over the 20 MB bots may download, else 400 <c>invalid file_id</c>; <c>GET /file/bot{token}/{file_path}</c>: its bytes.</item>
/// <item><c>setWebhook</c> (url, secret_token, allowed_updates), <c>getUpdates</c> (offset, timeout, allowed_updates),
/// <c>deleteWebhook</c>, <c>getMe</c>.</item>
/// </list>
/// Failures can be injected: the next sends (Telegram's JSON, or a bare status with a <c>Retry-After</c> header as a proxy
/// answers), the next getFile calls, the next downloads, or every call while <see cref="Unavailable"/>.
/// </summary>
public sealed class FakeTelegramServer : IFakeProviderApi
{
    private static readonly string[] SendMethods = ["sendMessage", "sendPhoto", "sendDocument"];

    private readonly WebApplication _app;
    private readonly string _token;
    private readonly ConcurrentQueue<int> _sendFailures = new();
    private readonly ConcurrentQueue<int> _downloadFailures = new();
    private readonly ConcurrentQueue<int> _getFileFailures = new();
    private readonly ConcurrentQueue<(int Status, int Seconds)> _headerFailures = new();
    private readonly ConcurrentDictionary<string, string[]> _allowedUpdates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _tooBig = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TelegramSent> _sent = new();
    private readonly ConcurrentQueue<string?> _keys = new();
    private readonly ConcurrentQueue<TelegramRequest> _requests = new();
    private readonly ConcurrentQueue<(string? Url, string? SecretToken)> _webhooks = new();
    private readonly ConcurrentDictionary<string, bool> _blocked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Path, byte[] Bytes, string ContentType)> _files = new(StringComparer.Ordinal);
    private readonly List<(long Id, string Json)> _updates = [];
    private readonly ConcurrentQueue<long?> _pollOffsets = new();
    private volatile string? _webhook;
    private long _messageIds = 100;

    private FakeTelegramServer(WebApplication app, string token)
    {
        _app = app;
        _token = token;
    }

    /// <summary>Where the fake listens, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>An instance's settings that send to this fake (its API, the token it checks).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ApiBaseAddress"] = BaseAddress.ToString(),
        ["BotToken"] = _token,
    };

    /// <summary>Telegram takes no idempotency key: null for each send request, oldest first.</summary>
    public IReadOnlyList<string?> SendKeys => [.. _keys];

    /// <summary>Messages accepted, oldest first.</summary>
    public IReadOnlyList<TelegramSent> Sent => [.. _sent];

    /// <summary>Every request answered, oldest first.</summary>
    public IReadOnlyList<TelegramRequest> Requests => [.. _requests];

    /// <summary>Each <c>setWebhook</c> accepted: its url and secret_token, oldest first.</summary>
    public IReadOnlyList<(string? Url, string? SecretToken)> Webhooks => [.. _webhooks];

    /// <summary>The <c>offset</c> of each <c>getUpdates</c> (null for one without), oldest first.</summary>
    public IReadOnlyList<long?> PollOffsets => [.. _pollOffsets];

    /// <summary>While true, every Bot API call answers 502 <c>Bad Gateway</c> (Telegram down).</summary>
    public bool Unavailable { get; set; }

    public static async Task<FakeTelegramServer> StartAsync(string token, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var fake = new FakeTelegramServer(app, token);
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var path = context.Request.Path.ToString().Replace(token, "{token}", StringComparison.Ordinal);
                fake._requests.Enqueue(new TelegramRequest(context.Request.Method, path, context.Response.StatusCode));
                return Task.CompletedTask;
            });
            return next(context);
        });
        // Parsed by hand: a route template's "bot{token}" segment does not take the token's ':'.
        app.MapPost("/{**rest}", (HttpContext context, string rest) =>
            rest.StartsWith("bot", StringComparison.Ordinal) && rest.IndexOf('/', StringComparison.Ordinal) is > 3 and var slash
                ? fake.CallAsync(context, rest[3..slash], rest[(slash + 1)..])
                : Task.FromResult(Error(404, "Not Found")));
        app.MapGet("/file/{**rest}", (string rest) =>
        {
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var (token, path) = rest.StartsWith("bot", StringComparison.Ordinal) && slash > 3 ? (rest[3..slash], rest[(slash + 1)..]) : ("", "");
            if (token != fake._token)
            {
                return Error(401, "Unauthorized");
            }

            if (fake._downloadFailures.TryDequeue(out var failure))
            {
                return Error(failure, failure == 404 ? "Not Found" : "Internal Server Error");
            }

            var file = fake._files.Values.FirstOrDefault(f => f.Path == path);
            return file.Bytes is null ? Error(404, "Not Found") : Results.Bytes(file.Bytes, file.ContentType);
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>A file a customer sent, as Telegram keeps it: <c>getFile</c> gives <paramref name="path"/>, the download its bytes.</summary>
    public void AddFile(string fileId, string path, byte[] bytes, string contentType = "application/octet-stream") =>
        _files[fileId] = (path, bytes, contentType);

    /// <summary>An update (an Update object with its <c>update_id</c>) for <c>getUpdates</c> to hand out until an offset confirms it.</summary>
    public void AddUpdate(string json)
    {
        using var document = JsonDocument.Parse(json);
        lock (_updates)
        {
            _updates.Add((document.RootElement.GetProperty("update_id").GetInt64(), json));
        }
    }

    /// <summary>A file over the 20 MB bots may download: getFile answers 400 <c>Bad Request: file is too big</c>.</summary>
    public void AddTooBigFile(string fileId) => _tooBig[fileId] = true;

    /// <summary>The <c>allowed_updates</c> the last <paramref name="method"/> (setWebhook, getUpdates) asked for; null when it named none.</summary>
    public IReadOnlyList<string>? AllowedUpdates(string method) => _allowedUpdates.TryGetValue(method, out var updates) ? updates : null;

    /// <summary>The user of this chat blocked the bot: sends to it answer 403.</summary>
    public void Block(string chatId) => _blocked[chatId] = true;

    public void FailNextSend(int statusCode) => _sendFailures.Enqueue(statusCode);

    /// <summary>
    /// Answers the next send with this status, a <c>Retry-After: seconds</c> header and a plain-text body (not Telegram's
    /// JSON: a proxy or load balancer in front of it).
    /// </summary>
    public void FailNextSendWithRetryAfterHeader(int statusCode, int seconds) => _headerFailures.Enqueue((statusCode, seconds));

    /// <summary>Answers the next file download with this status.</summary>
    public void FailNextDownload(int statusCode) => _downloadFailures.Enqueue(statusCode);

    /// <summary>Answers the next <c>getFile</c> with this status.</summary>
    public void FailNextGetFile(int statusCode) => _getFileFailures.Enqueue(statusCode);

    public int CountOf(string method) => _requests.Count(r => r.Path.EndsWith("/" + method, StringComparison.Ordinal));

    public async Task<TelegramSent> WaitForSentAsync(Func<TelegramSent, bool> match, TimeSpan? timeout = null)
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
                throw new TimeoutException("Telegram received no matching message; it got: " + string.Join(", ", Sent.Select(s => $"{s.Method} {s.Text}")));
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static IResult Error(int status, string description, int? retryAfter = null) => Results.Json(
        retryAfter is { } seconds
            ? new { ok = false, error_code = status, description, parameters = new { retry_after = seconds } }
            : (object)new { ok = false, error_code = status, description },
        statusCode: status);

    private static IResult Ok(object result) => Results.Json(new { ok = true, result });

    private static IResult InjectedFailure(int status) => status switch
    {
        429 => Error(429, "Too Many Requests: retry after 7", retryAfter: 7),
        400 => Error(400, "Bad Request: chat not found"),
        403 => Error(403, "Forbidden: bot was blocked by the user"),
        502 => Error(502, "Bad Gateway"),
        _ => Error(status, "Internal Server Error"),
    };

    private async Task<IResult> CallAsync(HttpContext context, string token, string method)
    {
        if (token != _token)
        {
            return Error(401, "Unauthorized");
        }

        if (Unavailable)
        {
            return Error(502, "Bad Gateway");
        }

        var (parameters, files) = await ReadParametersAsync(context.Request);
        if (SendMethods.Contains(method))
        {
            _keys.Enqueue(null);
            if (_headerFailures.TryDequeue(out var proxy))
            {
                context.Response.Headers.RetryAfter = proxy.Seconds.ToString(CultureInfo.InvariantCulture);
                return Results.Text("Service temporarily unavailable", "text/plain", statusCode: proxy.Status);
            }

            if (_sendFailures.TryDequeue(out var failure))
            {
                return InjectedFailure(failure);
            }
        }

        if (parameters.TryGetValue("allowed_updates", out var allowed))
        {
            _allowedUpdates[method] = JsonSerializer.Deserialize<string[]>(allowed) ?? [];
        }

        switch (method)
        {
            case "getMe":
                return Ok(new { id = 7000000001L, is_bot = true, first_name = "Shop", username = "shop_test_bot" });
            case "deleteWebhook":
                _webhook = null;
                return Ok(true);
            case "getUpdates":
                return await GetUpdatesAsync(parameters, context.RequestAborted);
            case "setWebhook":
                _webhook = parameters.GetValueOrDefault("url");
                _webhooks.Enqueue((parameters.GetValueOrDefault("url"), parameters.GetValueOrDefault("secret_token")));
                return Ok(true);
            case "getFile":
                var fileId = parameters.GetValueOrDefault("file_id") ?? "";
                if (_getFileFailures.TryDequeue(out var getFileFailure))
                {
                    return InjectedFailure(getFileFailure);
                }

                if (_tooBig.ContainsKey(fileId))
                {
                    return Error(400, "Bad Request: file is too big");
                }

                return _files.TryGetValue(fileId, out var kept)
                    ? Ok(new { file_id = fileId, file_unique_id = "u" + fileId, file_size = kept.Bytes.Length, file_path = kept.Path })
                    : Error(400, "Bad Request: invalid file_id");
            case "sendMessage":
            case "sendPhoto":
            case "sendDocument":
                return Send(method, parameters, files);
            default:
                return Error(404, "Not Found");
        }
    }

    /// <summary>Updates from the offset on (those before it are confirmed and forgotten), waiting up to <c>timeout</c> seconds for one.</summary>
    private async Task<IResult> GetUpdatesAsync(Dictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        if (_webhook is not null)
        {
            return Error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
        }

        long? offset = long.TryParse(parameters.GetValueOrDefault("offset"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var from) ? from : null;
        _pollOffsets.Enqueue(offset);
        var timeout = int.TryParse(parameters.GetValueOrDefault("timeout"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(timeout);
        while (true)
        {
            List<string> pending;
            lock (_updates)
            {
                _updates.RemoveAll(u => u.Id < offset);
                pending = [.. _updates.Select(u => u.Json)];
            }

            if (pending.Count > 0 || DateTime.UtcNow >= until)
            {
                return Results.Text($$"""{"ok":true,"result":[{{string.Join(",", pending)}}]}""", "application/json");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private IResult Send(string method, Dictionary<string, string> parameters, Dictionary<string, (string Name, string Type, byte[] Bytes)> files)
    {
        var chatId = parameters.GetValueOrDefault("chat_id");
        if (string.IsNullOrEmpty(chatId) || !long.TryParse(chatId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chat))
        {
            return Error(400, "Bad Request: chat not found");
        }

        if (_blocked.ContainsKey(chatId))
        {
            return Error(403, "Forbidden: bot was blocked by the user");
        }

        string? text;
        (string Name, string Type, byte[] Bytes)? file = null;
        if (method == "sendMessage")
        {
            text = parameters.GetValueOrDefault("text");
            if (string.IsNullOrEmpty(text))
            {
                return Error(400, "Bad Request: message text is empty");
            }

            if (text.Length > 4096)
            {
                return Error(400, "Bad Request: message is too long");
            }
        }
        else
        {
            var field = method == "sendPhoto" ? "photo" : "document";
            if (!files.TryGetValue(field, out var upload))
            {
                return Error(400, $"Bad Request: there is no {field} in the request");
            }

            file = upload;
            text = parameters.GetValueOrDefault("caption");
            if (text?.Length > 1024)
            {
                return Error(400, "Bad Request: message caption is too long");
            }
        }

        var id = Interlocked.Increment(ref _messageIds);
        _sent.Enqueue(new TelegramSent(method, chatId, text, file?.Name, file?.Type, file?.Bytes, parameters.GetValueOrDefault("reply_markup"), id));
        return Ok(new
        {
            message_id = id,
            from = new { id = 7000000001L, is_bot = true, first_name = "Shop", username = "shop_test_bot" },
            chat = new { id = chat, type = chat > 0 ? "private" : "group" },
            date = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            text = method == "sendMessage" ? text : null,
            caption = method == "sendMessage" ? null : text,
        });
    }

    /// <summary>The parameters as Telegram reads them: a JSON object, a form or a multipart form (files apart).</summary>
    private static async Task<(Dictionary<string, string>, Dictionary<string, (string, string, byte[])>)> ReadParametersAsync(HttpRequest request)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new Dictionary<string, (string, string, byte[])>(StringComparer.Ordinal);
        if (request.HasJsonContentType())
        {
            using var document = await JsonDocument.ParseAsync(request.Body);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                parameters[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }
        else if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            foreach (var (key, value) in form)
            {
                parameters[key] = value.ToString();
            }

            foreach (var file in form.Files)
            {
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer);
                files[file.Name] = (file.FileName, file.ContentType, buffer.ToArray());
            }
        }

        return (parameters, files);
    }
}
