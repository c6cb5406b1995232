using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// A visitor's message. Name, phone and email are what the visitor typed: kept as declared (unverified). Attachments are
/// files the visitor uploaded (<c>POST files</c>), each named by its id and the receipt the upload answered.
/// <c>Context</c> is where the visitor is (the page, a product or their cart, see <see cref="VisitorContextMapper"/>), sent when it changed.
/// </summary>
internal sealed record VisitorMessageRequest(
    string? ClientMessageId, string? Text, string? Name, string? Phone, string? Email, IReadOnlyList<AttachmentReference?>? Attachments = null, JsonElement? Context = null);

/// <summary>A file a message names: its id and the receipt of its upload, as <c>POST files</c> answered them.</summary>
internal sealed record AttachmentReference(string? Id, string? Receipt);

/// <summary>The widget's outreach setting: <c>all</c>, <c>no-marketing</c> or <c>none</c>.</summary>
internal sealed record PreferencesRequest(string? Outreach);

/// <summary>The API names of <see cref="OutreachPreference"/>.</summary>
internal static class OutreachNames
{
    public static string Of(OutreachPreference preference) => preference switch
    {
        OutreachPreference.NoMarketing => "no-marketing",
        OutreachPreference.None => "none",
        _ => "all",
    };

    public static bool TryParse(string name, out OutreachPreference preference)
    {
        preference = name switch
        {
            "all" => OutreachPreference.All,
            "no-marketing" => OutreachPreference.NoMarketing,
            "none" => OutreachPreference.None,
            _ => (OutreachPreference)(-1),
        };
        return Enum.IsDefined(preference);
    }
}

/// <summary>The answer to a visitor's message: where it was stored, and whether it had been before.</summary>
internal sealed record AcceptedMessage(Guid MessageId, Guid ConversationId, bool Duplicate);

/// <summary>The message endpoint's bodies, (de)serialized by generated code rather than reflection: it is the widget's hot path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(VisitorMessageRequest))]
[JsonSerializable(typeof(AcceptedMessage))]
[JsonSerializable(typeof(IdentifiedClaims))]
[JsonSerializable(typeof(IdentifyRequest))]
[JsonSerializable(typeof(PreferencesRequest))]
[JsonSerializable(typeof(UploadedFile))]
[JsonSerializable(typeof(UploadReceiptClaims))]
internal sealed partial class WebChatJson : JsonSerializerContext;

/// <summary>The widget's HTTP and WebSocket endpoints (under /channels/{instanceId}/).</summary>
internal static partial class WebChatEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<byte[]> WidgetScript = new(() =>
    {
        using var stream = typeof(WebChatEndpoints).Assembly.GetManifestResourceStream("widget.js")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        // Shop pages on other origins embed the widget: answer their preflights, and mark allowed responses.
        endpoints.MapMethods("{**path}", ["OPTIONS"], (HttpContext http) =>
        {
            if (!TryAllowOrigin(http))
            {
                return Error(StatusCodes.Status403Forbidden, "this origin may not use the chat; add it to the instance's AllowedOrigins");
            }

            http.Response.Headers.AccessControlAllowMethods = "GET, POST";
            http.Response.Headers.AccessControlAllowHeaders = "Content-Type, " + VisitorTokens.Header;
            http.Response.Headers.AccessControlMaxAge = "600";
            return Results.NoContent();
        });
        if (endpoints is RouteGroupBuilder group)
        {
            group.AddEndpointFilter(async (context, next) =>
            {
                TryAllowOrigin(context.HttpContext);
                return await next(context);
            });
        }

        endpoints.MapGet("widget.js", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=300";
            // The instance's Language, on the script's own tag: the widget needs it before its first paint, not after config.
            var language = JsonSerializer.Serialize(Options(http).Language);
            var prefix = System.Text.Encoding.UTF8.GetBytes($"document.currentScript&&document.currentScript.setAttribute('data-cgw-language',{language});\n");
            return Results.Bytes([.. prefix, .. WidgetScript.Value], "application/javascript; charset=utf-8");
        });

        endpoints.MapGet("config", (HttpContext http) =>
        {
            var options = Options(http);
            var maxFileBytes = http.RequestServices.GetService<IAttachmentStore>()?.MaxBytes ?? 0;
            return Results.Json(new
            {
                maxMessageLength = options.MaxMessageLength,
                language = options.Language,
                title = options.Title,
                greeting = options.Greeting,
                // By the widget's language; null: the widget's own text.
                titles = new { zh = WebChatOptions.For(options.Titles, options.Title, "zh"), en = WebChatOptions.For(options.Titles, options.Title, "en") },
                greetings = new { zh = WebChatOptions.For(options.Greetings, options.Greeting, "zh"), en = WebChatOptions.For(options.Greetings, options.Greeting, "en") },
                shopName = options.ShopName,
                maxFileBytes,
                maxFiles = options.MaxAttachmentsPerMessage,
            });
        });

        endpoints.MapPost("visitors", (HttpContext http) =>
        {
            if (http.RequestServices.GetRequiredService<FloodLimits>().Visitor(http.Connection.RemoteIpAddress) is { } wait)
            {
                return TooMany(http, wait, "too many new visitors from this address; try again later");
            }

            return Results.Json(new { visitorToken = Tokens(http).CreateAnonymous() });
        });
        endpoints.MapPost("visitors/identify", (Delegate)IdentifyAsync);
        endpoints.MapPost("messages", (Delegate)PostMessageAsync);
        MapFiles(endpoints);
        endpoints.MapGet("conversation", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            if (!TryVisitor(http, out var visitor, out var error))
            {
                return error;
            }

            var history = await http.RequestServices.GetRequiredService<IConversationHistory>().GetLatestAsync(visitor.ExternalId, cancellationToken);
            return history is null ? Results.NoContent() : HistoryFor(http, history, visitor.ExternalId);
        });
        endpoints.MapGet("conversations/{conversationId}", async (HttpContext http, string conversationId) =>
        {
            if (!TryVisitor(http, out var visitor, out var error))
            {
                return error;
            }

            // Someone else's conversation and no conversation look the same: 404, nothing to probe.
            var history = Guid.TryParse(conversationId, out var id)
                ? await http.RequestServices.GetRequiredService<IConversationHistory>().GetAsync(visitor.ExternalId, id, http.RequestAborted)
                : null;
            return history is null ? Error(StatusCodes.Status404NotFound, "no such conversation") : HistoryFor(http, history, visitor.ExternalId);
        });
        endpoints.MapGet("ws", ConnectAsync);
        endpoints.MapPost("conversations/{conversationId}/read", ReadAsync);
        endpoints.MapGet("preferences", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            if (!TryVisitor(http, out var visitor, out var error))
            {
                return error;
            }

            var preference = await http.RequestServices.GetRequiredService<IOutreachPreferences>().GetAsync(visitor.ExternalId, cancellationToken);
            return Results.Json(new { outreach = OutreachNames.Of(preference) });
        });
        endpoints.MapPost("preferences", (Delegate)SetPreferencesAsync);
    }

    /// <summary>The history as the gateway gave it, with each file's link for this visitor (an image's src, a download).</summary>
    private static IResult HistoryFor(HttpContext http, ConversationHistory history, string visitorId)
    {
        var node = JsonSerializer.SerializeToNode(history, Json)!;
        var links = http.RequestServices.GetRequiredService<VisitorFileLinks>();
        var messages = node["messages"]!.AsArray();
        for (var i = 0; i < history.Messages.Count; i++)
        {
            if (links.ToVisitor(history.Messages[i].Attachments, visitorId) is { } files)
            {
                messages[i]!["attachments"] = JsonSerializer.SerializeToNode(files, Json);
            }
        }

        return Results.Json(node, Json);
    }

    /// <summary>
    /// The widget's setting of what the shop may send the visitor first (offers, notices), for every channel of theirs:
    /// <c>{ "outreach": "all" | "no-marketing" | "none" }</c>. Answers to their own messages always come.
    /// </summary>
    private static async Task<IResult> SetPreferencesAsync(HttpContext http)
    {
        if (!TryVisitor(http, out var visitor, out var error))
        {
            return error;
        }

        if (http.Request.ContentLength > 1024)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "request body is larger than 1024 bytes");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 1024;
        }

        if (!http.Request.HasJsonContentType())
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "send JSON (Content-Type: application/json)");
        }

        PreferencesRequest? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync(WebChatJson.Default.PreferencesRequest, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"malformed JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "request body is larger than 1024 bytes");
        }

        if (request?.Outreach is null || !OutreachNames.TryParse(request.Outreach, out var preference))
        {
            return Error(StatusCodes.Status400BadRequest, "outreach must be \"all\", \"no-marketing\" or \"none\"");
        }

        var preferences = http.RequestServices.GetRequiredService<IOutreachPreferences>();
        if (!await preferences.SetAsync(visitor.ExternalId, preference, thisChannelOnly: false, http.RequestAborted))
        {
            // The gateway knows a visitor once they have written; before that there is nothing the shop could send them.
            return Error(StatusCodes.Status409Conflict, "no conversation yet: send a message first, then choose what the shop may send you");
        }

        return Results.Json(new { outreach = OutreachNames.Of(preference) });
    }

    private static async Task<IResult> PostMessageAsync(HttpContext http)
    {
        var options = Options(http);
        if (!TryVisitor(http, out var visitor, out var error))
        {
            return error;
        }

        if (http.Request.ContentLength > options.MaxBodyBytes)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"request body is larger than {options.MaxBodyBytes} bytes");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxBodyBytes;
        }

        if (!http.Request.HasJsonContentType())
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "send JSON (Content-Type: application/json)");
        }

        VisitorMessageRequest? request;
        try
        {
            request = IsUtf8(http.Request.ContentType)
                ? await ReadSmallJsonAsync(http.Request.BodyReader, WebChatJson.Default.VisitorMessageRequest, http.RequestAborted)
                : await http.Request.ReadFromJsonAsync(WebChatJson.Default.VisitorMessageRequest, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"malformed JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"request body is larger than {options.MaxBodyBytes} bytes");
        }

        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, "a JSON object is required");
        }

        if (string.IsNullOrWhiteSpace(request.ClientMessageId) || request.ClientMessageId.Length > 100)
        {
            return Error(StatusCodes.Status400BadRequest, "clientMessageId is required (at most 100 characters)");
        }

        var text = request.Text ?? "";
        if (string.IsNullOrWhiteSpace(text) && request.Attachments is not { Count: > 0 })
        {
            return Error(StatusCodes.Status400BadRequest, "text is required (or a file)");
        }

        if (text.Length > options.MaxMessageLength)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"message is {text.Length} characters; the limit is {options.MaxMessageLength}");
        }

        if (request.Name?.Length > 100 || request.Phone?.Length > 40 || request.Email?.Length > 320)
        {
            return Error(StatusCodes.Status400BadRequest, "name (100), phone (40) or email (320) is too long");
        }

        var (files, refused) = VisitorsFiles(http, visitor.ExternalId, request.Attachments, options.MaxAttachmentsPerMessage);
        if (refused is not null)
        {
            return Error(StatusCodes.Status400BadRequest, refused);
        }

        if (http.RequestServices.GetRequiredService<FloodLimits>().Message(http.Connection.RemoteIpAddress, visitor.ExternalId) is { } wait)
        {
            return TooMany(http, wait, "too many messages from this address; try again later");
        }

        var message = new InboundMessage
        {
            // Scoped to the visitor, so one visitor's ids can never collide with another's.
            ProviderMessageId = visitor.ExternalId + ":" + request.ClientMessageId,
            Sender = new ChannelSender
            {
                ExternalId = visitor.ExternalId,
                // Proven only for a visitor the shop identified (signed, inside the token).
                DisplayName = visitor.Name,
                Phone = visitor.Phone,
                Email = visitor.Email,
                // What the visitor typed: their own contact's unverified details, never a key to anyone else's.
                DeclaredName = request.Name,
                DeclaredPhone = request.Phone,
                DeclaredEmail = request.Email,
            },
            // A photo sent alone has no text; whitespace around a file's caption means nothing either.
            Text = files!.Count > 0 && string.IsNullOrWhiteSpace(text) ? "" : text,
            Attachments = files.Count > 0 ? files : null,
            Origin = VisitorContextMapper.ToOrigin(request.Context),
        };

        try
        {
            var result = await http.RequestServices.GetRequiredService<IInboundSink>().AcceptAsync(message, http.RequestAborted);
            // Serialized up front so the answer goes out with its length in one write, not as a chunked body
            // whose end comes in a second one.
            return Results.Text(
                JsonSerializer.SerializeToUtf8Bytes(new AcceptedMessage(result.MessageId, result.ConversationId, result.Duplicate), WebChatJson.Default.AcceptedMessage),
                "application/json; charset=utf-8",
                StatusCodes.Status202Accepted);
        }
        catch (InboundRejectedException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message);
        }
    }

    /// <summary>
    /// Reads the whole body, which Kestrel holds to the instance's MaxBodyBytes, and parses it in one go:
    /// for a message of a few hundred bytes, cheaper than the streaming reader's resumable state.
    /// </summary>
    private static async Task<T?> ReadSmallJsonAsync<T>(PipeReader body, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await body.ReadAsync(cancellationToken);
            if (!read.IsCompleted)
            {
                body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                continue;
            }

            try
            {
                return read.Buffer.IsSingleSegment
                    ? JsonSerializer.Deserialize(read.Buffer.FirstSpan, type)
                    : JsonSerializer.Deserialize(read.Buffer.ToArray(), type);
            }
            finally
            {
                body.AdvanceTo(read.Buffer.End);
            }
        }
    }

    /// <summary>JSON without a charset is UTF-8; another charset goes through the framework's transcoding reader.</summary>
    private static bool IsUtf8(string? contentType) =>
        contentType is null || !contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("utf-8", StringComparison.OrdinalIgnoreCase) || contentType.Contains("utf8", StringComparison.OrdinalIgnoreCase);

    private static async Task ConnectAsync(HttpContext http)
    {
        if (!Tokens(http).TryRead(http.Request.Query["token"].ToString(), out var visitor))
        {
            await Error(StatusCodes.Status401Unauthorized, "a valid visitor token is required (?token= from POST visitors)").ExecuteAsync(http);
            return;
        }

        if (http.Request.Headers.Origin.Count > 0 && !IsAllowedOrigin(http))
        {
            // A page on another site must not open a visitor's connection (cross-site WebSocket hijacking).
            await Error(StatusCodes.Status403Forbidden, "this origin may not use the chat").ExecuteAsync(http);
            return;
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            await Error(StatusCodes.Status400BadRequest, "this endpoint takes WebSocket connections").ExecuteAsync(http);
            return;
        }

        var connections = http.RequestServices.GetRequiredService<VisitorConnections>();
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var connection = new VisitorConnection(visitor.ExternalId, socket);
        if (!connections.TryAdd(connection, Options(http).MaxConnectionsPerVisitor))
        {
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "too many connections", http.RequestAborted);
            return;
        }

        var activity = http.RequestServices.GetRequiredService<VisitorActivity>();
        try
        {
            // The visitor sends messages over REST; on the socket only small frames saying they type. Read to notice the close too.
            var buffer = new byte[512];
            var whole = true;
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, http.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    break;
                }

                // A frame larger than the buffer is no frame of ours: skipped to its end.
                if (whole && result.EndOfMessage && result.MessageType == WebSocketMessageType.Text)
                {
                    await OnVisitorFrameAsync(http, activity, visitor.ExternalId, buffer.AsMemory(0, result.Count));
                }

                whole = result.EndOfMessage;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // the visitor went away
        }
        finally
        {
            connections.Remove(connection);
            if (!connections.IsConnected(visitor.ExternalId) && activity.Forget(visitor.ExternalId))
            {
                // Gone while typing: the agent's desk stops showing it now rather than after its timeout.
                await ReportTypingAsync(http, visitor.ExternalId, typing: false);
            }
        }
    }

    // ---------------------------------------------------------------- typing and read receipts

    /// <summary>A frame from the widget: <c>{"type":"typing","typing":true|false}</c>, passed on within the visitor's limits; anything else is ignored.</summary>
    private static async Task OnVisitorFrameAsync(HttpContext http, VisitorActivity activity, string visitorId, ReadOnlyMemory<byte> frame)
    {
        if (VisitorActivity.ParseTyping(frame.Span) is { } typing && activity.ShouldPassOnTyping(visitorId, typing))
        {
            await ReportTypingAsync(http, visitorId, typing);
        }
    }

    private static async Task ReportTypingAsync(HttpContext http, string visitorId, bool typing)
    {
        if (http.RequestServices.GetService<ICustomerActivitySink>() is not { } sink)
        {
            return;
        }

        var kind = typing ? ConversationActivityKind.TypingStarted : ConversationActivityKind.TypingStopped;
        try
        {
            await sink.ReportAsync(new CustomerActivity(visitorId, kind), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Typing is a hint: a store or bus hiccup must not close the visitor's socket.
        }
    }

    /// <summary>
    /// <c>POST conversations/{id}/read</c>: the visitor's chat is open and visible and they have seen the replies of their
    /// conversation up to now (the agent's desk shows "Read" on them). 204; 404 for a conversation not theirs; 429 when
    /// reported more often than once a second.
    /// </summary>
    private static async Task<IResult> ReadAsync(HttpContext http, string conversationId)
    {
        if (!TryVisitor(http, out var visitor, out var error))
        {
            return error;
        }

        if (!Guid.TryParse(conversationId, out var id))
        {
            return Error(StatusCodes.Status404NotFound, "no such conversation");
        }

        if (http.RequestServices.GetRequiredService<VisitorActivity>().ReadWait(visitor.ExternalId) is { } wait)
        {
            return TooMany(http, wait, "read is reported at most once a second");
        }

        if (http.RequestServices.GetService<ICustomerActivitySink>() is not { } sink)
        {
            return Error(StatusCodes.Status404NotFound, "read receipts are not available on this gateway");
        }

        var found = await sink.ReportAsync(new CustomerActivity(visitor.ExternalId, ConversationActivityKind.Read) { ConversationId = id }, http.RequestAborted);
        return found ? Results.NoContent() : Error(StatusCodes.Status404NotFound, "no such conversation");
    }

    /// <summary>
    /// The visitor the request's token names. A token the gateway did not issue (made up, forged, an old
    /// random one) or an identified visitor's expired one is 401: the widget then gets a new token.
    /// </summary>
    private static bool TryVisitor(HttpContext http, out VisitorIdentity visitor, out IResult error)
    {
        if (!Tokens(http).TryRead(http.Request.Headers[VisitorTokens.Header].ToString(), out visitor))
        {
            error = Error(StatusCodes.Status401Unauthorized, $"a valid visitor token is required ({VisitorTokens.Header} header from POST visitors)");
            return false;
        }

        error = Results.Empty;
        return true;
    }

    /// <summary>
    /// A visitor the shop vouches for: their identity signed by the shop's server with the instance's
    /// IdentitySecret. Answers a token carrying the verified user, phone, email and name.
    /// </summary>
    private static async Task<IResult> IdentifyAsync(HttpContext http)
    {
        var options = Options(http);
        if (string.IsNullOrEmpty(options.IdentitySecret))
        {
            return Error(StatusCodes.Status404NotFound, "identified visitors are not enabled on this chat (the shop sets the instance's IdentitySecret)");
        }

        if (http.Request.ContentLength > 8192)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "request body is larger than 8192 bytes");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 8192;
        }

        if (!http.Request.HasJsonContentType())
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "send JSON (Content-Type: application/json)");
        }

        IdentifyRequest? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync(WebChatJson.Default.IdentifyRequest, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"malformed JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "request body is larger than 8192 bytes");
        }

        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, "a JSON object is required");
        }

        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (ShopIdentity.Check(request, options.IdentitySecret, now, options.MaxIdentityLifetime) is { } refused)
        {
            return Error(refused.Status, refused.Reason);
        }

        var token = Tokens(http).CreateIdentified(
            request.UserId!, Blank(request.Phone), Blank(request.Email), Blank(request.Name), now + options.IdentifiedTokenLifetime);
        return Results.Json(new { visitorToken = token });
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static VisitorTokens Tokens(HttpContext http) => http.RequestServices.GetRequiredService<VisitorTokens>();

    private static IResult TooMany(HttpContext http, TimeSpan wait, string reason)
    {
        http.Response.Headers.RetryAfter = FloodLimits.RetryAfter(wait);
        http.Response.Headers.AccessControlExposeHeaders = "Retry-After";
        return Error(StatusCodes.Status429TooManyRequests, reason);
    }

    /// <summary>Sets the CORS response headers when the request comes from an allowed other origin; false for a disallowed one.</summary>
    private static bool TryAllowOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin) || IsSameOrigin(http, origin))
        {
            return true;
        }

        if (!IsAllowedOrigin(http))
        {
            return false;
        }

        http.Response.Headers.AccessControlAllowOrigin = origin;
        http.Response.Headers.Vary = "Origin";
        return true;
    }

    private static bool IsAllowedOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString().TrimEnd('/');
        return IsSameOrigin(http, origin) || Options(http).AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsSameOrigin(HttpContext http, string origin) =>
        string.Equals(origin.TrimEnd('/'), $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase);

    private static WebChatOptions Options(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<WebChatOptions>>().Value;

    private static IResult Error(int status, string reason) => Results.Json(new { error = reason }, statusCode: status);
}
