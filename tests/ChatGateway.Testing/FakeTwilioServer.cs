using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
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

/// <summary>One request the fake received, with what it answered.</summary>
/// <param name="AccountSidInPath">The <c>{sid}</c> of <c>/2010-04-01/Accounts/{sid}/Messages.json</c>.</param>
/// <param name="Username">The Basic auth user name, or null when the request had no Basic credentials.</param>
/// <param name="Password">The Basic auth password, or null when the request had no Basic credentials.</param>
/// <param name="ContentType">The request's Content-Type header.</param>
/// <param name="Form">The form fields (first value of each; every <c>MediaUrl</c> is in <see cref="MediaUrls"/>).</param>
/// <param name="ResponseStatus">The status the fake answered with.</param>
/// <param name="MessageSid">The sid of the created message when it answered 201.</param>
public sealed record TwilioRequest(
    string AccountSidInPath,
    string? Username,
    string? Password,
    string? ContentType,
    IReadOnlyDictionary<string, string> Form,
    int ResponseStatus,
    string? MessageSid,
    DateTimeOffset ReceivedAt)
{
    public string? To => Form.GetValueOrDefault("To");

    public string? From => Form.GetValueOrDefault("From");

    public string? Body => Form.GetValueOrDefault("Body");

    public string? StatusCallback => Form.GetValueOrDefault("StatusCallback");

    /// <summary>Every <c>MediaUrl</c> field, in the order sent.</summary>
    public IReadOnlyList<string> MediaUrls { get; init; } = [];

    /// <summary>What the fake got when it fetched each of <see cref="MediaUrls"/>, as Twilio does before it sends an MMS.</summary>
    public IReadOnlyList<TwilioMediaFetch> MediaFetches { get; init; } = [];

    /// <summary>The request's <c>I-Twilio-Idempotency-Token</c> header, or null without one.</summary>
    public string? IdempotencyToken { get; init; }
}

/// <summary>One fetch of an outbound message's <c>MediaUrl</c> by the fake, as the customer's phone would get the file.</summary>
/// <param name="Url">The URL fetched.</param>
/// <param name="Status">The HTTP status it answered; 0 when it did not answer.</param>
/// <param name="ContentType">Its Content-Type header.</param>
/// <param name="ContentLength">Its Content-Length header, if any.</param>
/// <param name="Content">The bytes it served.</param>
/// <param name="Headers">Its response headers (first value of each, names as sent).</param>
public sealed record TwilioMediaFetch(
    string Url, int Status, string? ContentType, long? ContentLength, byte[] Content, IReadOnlyDictionary<string, string> Headers);

/// <summary>One request for an inbound message's media file (<c>/Messages/{MessageSid}/Media/{MediaSid}</c>) the fake answered.</summary>
/// <param name="Path">The path requested.</param>
/// <param name="Username">The Basic auth user name, or null without Basic credentials.</param>
/// <param name="Password">The Basic auth password, or null without Basic credentials.</param>
/// <param name="Status">The status the fake answered with.</param>
public sealed record TwilioMediaDownload(string Path, string? Username, string? Password, int Status);

/// <summary>
/// A real HTTP server on 127.0.0.1 that speaks Twilio's wire format for
/// <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>: Basic auth (401, code 20003), required
/// <c>To</c>/<c>From</c>/<c>Body</c> (400, codes 21604/21603/21602), E.164 <c>To</c> (400, code 21211),
/// and 201 with Twilio's Message JSON. Every request is recorded; failures can be injected.
/// <para>
/// MMS both ways. Sending: <c>MediaUrl</c> repeats once per file (at most 10, else 400 code 21623) and makes <c>Body</c>
/// optional; the fake fetches every URL as Twilio does and records what it got (<see cref="TwilioRequest.MediaFetches"/>);
/// one that does not answer 200 with a Content-Type fails the request with 400, code 11200 (HTTP retrieval failure), and
/// files over 5 MB together with code 11751. Receiving: <see cref="AddMedia"/> serves a file at Twilio's media URL
/// <c>/2010-04-01/Accounts/{sid}/Messages/{MessageSid}/Media/{MediaSid}</c>, which requires Basic auth (401, code 20003).
/// </para>
/// </summary>
public sealed partial class FakeTwilioServer : IFakeProviderApi
{
    /// <summary>The header that carries a request's idempotency key.</summary>
    public const string IdempotencyHeader = "I-Twilio-Idempotency-Token";

    public const string DefaultAccountSid = "AC00000000000000000000000000000001";
    public const string DefaultAuthToken = "fake-twilio-auth-token";

    private readonly WebApplication _app;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentQueue<TwilioRequest> _requests = new();
    private readonly List<(TaskCompletionSource<TwilioRequest> Waiter, Func<TwilioRequest, bool> Predicate)> _waiters = [];
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, (byte[] Content, string ContentType, Uri? RedirectTo)> _media = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TwilioMediaDownload> _mediaDownloads = new();
    private readonly HttpClient _mediaFetcher = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ConcurrentDictionary<string, Uri> _publicAddresses = new(StringComparer.OrdinalIgnoreCase);
    private int _mediaFailuresLeft;
    private int _mediaDelaysLeft;
    private TimeSpan _mediaDelay;
    private int _mediaFailureStatus;
    private int _failuresLeft;
    private int _failureStatus;
    private int? _failureRetryAfter;
    private int? _failureCode;
    private string? _failureMessage;
    private int _delaysLeft;
    private TimeSpan _delay;

    private FakeTwilioServer(WebApplication app, string accountSid, string authToken, TimeProvider timeProvider)
    {
        _app = app;
        AccountSid = accountSid;
        AuthToken = authToken;
        _timeProvider = timeProvider;
    }

    /// <summary>The account the fake accepts (Basic auth user name and path sid).</summary>
    public string AccountSid { get; }

    /// <summary>The auth token the fake accepts (Basic auth password).</summary>
    public string AuthToken { get; }

    /// <summary>Where the fake listens, e.g. <c>http://127.0.0.1:54321/</c>; use it as the plugin's <c>ApiBaseAddress</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A snapshot of every request received so far, oldest first.</summary>
    public IReadOnlyList<TwilioRequest> Requests => [.. _requests];

    /// <summary>The SMS plugin's settings that send to this fake: its address and the credentials it accepts.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ApiBaseAddress"] = BaseAddress.ToString(),
        ["AccountSid"] = AccountSid,
        ["AuthToken"] = AuthToken,
    };

    /// <summary>The idempotency token of every create-message request, oldest first.</summary>
    public IReadOnlyList<string?> SendKeys => [.. _requests.Select(request => request.IdempotencyToken)];

    /// <summary>Answers the next create-message request with <paramref name="statusCode"/> and Twilio's error for it.</summary>
    public void FailNextSend(int statusCode) => FailNext(1, statusCode);

    /// <summary>A snapshot of every request for an inbound message's media, oldest first.</summary>
    public IReadOnlyList<TwilioMediaDownload> MediaDownloads => [.. _mediaDownloads];

    /// <summary>
    /// Twilio's "HTTP Basic Authentication for media access" setting: on (the default, and Twilio's default for new
    /// accounts), media URLs answer 401 without the account's credentials; off, anyone with the URL gets the file.
    /// </summary>
    public bool RequireMediaAuth { get; set; } = true;

    /// <summary>The largest total of media one message may carry (Twilio: 5 MB).</summary>
    public const long MaxMediaBytes = 5 * 1024 * 1024;

    /// <summary>
    /// Serves <paramref name="content"/> as media of the inbound message <paramref name="messageSid"/>, as Twilio keeps an
    /// MMS's files, and returns its URL (what Twilio puts in <c>MediaUrl{N}</c>). Basic auth with the account's
    /// credentials is required (see <see cref="RequireMediaAuth"/>); with <paramref name="redirectTo"/> an authorised request is answered 307 to there, as
    /// Twilio sends its media on to its storage.
    /// </summary>
    public Uri AddMedia(string messageSid, byte[] content, string contentType, Uri? redirectTo = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        var mediaSid = "ME" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = $"/2010-04-01/Accounts/{AccountSid}/Messages/{messageSid}/Media/{mediaSid}";
        _media[path] = (content, contentType, redirectTo);
        return new Uri(BaseAddress, path);
    }

    /// <summary>
    /// Sends media fetches of URLs under <paramref name="publicBaseUrl"/> (the shop's public address, which tests cannot
    /// own) to <paramref name="actual"/> (the gateway's loopback address), as the shop's DNS and proxy would.
    /// </summary>
    public void RoutePublicAddress(string publicBaseUrl, Uri actual) =>
        _publicAddresses[publicBaseUrl.TrimEnd('/') + "/"] = actual.ToString().EndsWith('/') ? actual : new Uri(actual + "/");

    /// <summary>The shop's public address the conformance kit's send tests route to where it serves the plugin (see <see cref="PluginServedAt"/>).</summary>
    public string? KitPublicBaseUrl { get; set; }

    void IFakeProviderApi.PluginServedAt(Uri address)
    {
        if (KitPublicBaseUrl is { } publicBaseUrl)
        {
            RoutePublicAddress(publicBaseUrl, address);
        }
    }

    /// <summary>Holds the next <paramref name="count"/> requests for inbound media for <paramref name="delay"/> before answering (to test timeouts).</summary>
    public void DelayMediaNext(int count, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _mediaDelaysLeft = count;
            _mediaDelay = delay;
        }
    }

    /// <summary>Answers the next <paramref name="count"/> requests for inbound media with <paramref name="status"/> (after checking credentials).</summary>
    public void FailMediaNext(int count, int status)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _mediaFailuresLeft = count;
            _mediaFailureStatus = status;
        }
    }

    /// <summary>Starts the fake. <paramref name="timeProvider"/> only stamps <c>date_created</c>; waits and delays use real time.</summary>
    public static async Task<FakeTwilioServer> StartAsync(
        string accountSid = DefaultAccountSid,
        string authToken = DefaultAuthToken,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeTwilioServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();

        var app = builder.Build();
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");

        var server = new FakeTwilioServer(app, accountSid, authToken, timeProvider ?? TimeProvider.System);
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", new RequestDelegate(server.HandleCreateMessageAsync));
        app.MapGet("/2010-04-01/Accounts/{accountSid}/Messages/{messageSid}/Media/{mediaSid}", new RequestDelegate(server.HandleGetMediaAsync));

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>
    /// Answers the next <paramref name="count"/> requests with <paramref name="status"/> and Twilio's error JSON
    /// (a code and message fitting the status unless given), after recording them; with <paramref name="retryAfterSeconds"/>,
    /// a <c>Retry-After</c> header as Twilio sends with a 429.
    /// </summary>
    public void FailNext(int count, int status, int? code = null, string? message = null, int? retryAfterSeconds = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _failuresLeft = count;
            _failureStatus = status;
            _failureCode = code;
            _failureMessage = message;
            _failureRetryAfter = retryAfterSeconds;
        }
    }

    /// <summary>Holds the next <paramref name="count"/> requests for <paramref name="delay"/> before answering (to test timeouts).</summary>
    public void DelayNext(int count, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _delaysLeft = count;
            _delay = delay;
        }
    }

    /// <summary>The first request, already received or still to come, that matches; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<TwilioRequest> WaitForRequestAsync(Func<TwilioRequest, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var waiter = new TaskCompletionSource<TwilioRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var existing = _requests.FirstOrDefault(predicate);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add((waiter, predicate));
        }

        try
        {
            return await waiter.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.RemoveAll(entry => entry.Waiter == waiter);
            }

            throw new TimeoutException(
                $"No matching request reached the fake Twilio within {timeout}; it received {_requests.Count}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _mediaFetcher.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleCreateMessageAsync(HttpContext context)
    {
        var accountSidInPath = (string)context.Request.RouteValues["accountSid"]!;
        var (username, password) = ReadBasicAuth(context.Request);
        var fields = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var form = fields is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : fields.ToDictionary(field => field.Key, field => field.Value[0] ?? "", StringComparer.Ordinal);
        IReadOnlyList<string> mediaUrls = fields is not null && fields.TryGetValue("MediaUrl", out var urls) ? [.. urls.Select(url => url ?? "")] : [];
        IReadOnlyList<TwilioMediaFetch> fetches = [];

        (int Status, int? Code, string? Message, int? RetryAfter) failure = default;
        TimeSpan delay = TimeSpan.Zero;
        lock (_gate)
        {
            if (_failuresLeft > 0)
            {
                _failuresLeft--;
                failure = (_failureStatus, _failureCode, _failureMessage, _failureRetryAfter);
            }

            if (_delaysLeft > 0)
            {
                _delaysLeft--;
                delay = _delay;
            }
        }

        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up; it still counts as received.
            }
        }

        var now = _timeProvider.GetUtcNow();
        string? messageSid = null;
        int status;
        string json;

        if (username != AccountSid || password != AuthToken)
        {
            (status, json) = Error(StatusCodes.Status401Unauthorized, 20003, "Authenticate");
        }
        else if (accountSidInPath != AccountSid)
        {
            (status, json) = Error(StatusCodes.Status404NotFound, 20404,
                $"The requested resource /2010-04-01/Accounts/{accountSidInPath}/Messages.json was not found");
        }
        else if (failure.Status != 0)
        {
            var (defaultCode, defaultMessage) = DefaultError(failure.Status);
            (status, json) = Error(failure.Status, failure.Code ?? defaultCode, failure.Message ?? defaultMessage);
            if (failure.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }
        }
        else if (string.IsNullOrEmpty(form.GetValueOrDefault("To")))
        {
            (status, json) = Error(StatusCodes.Status400BadRequest, 21604, "A 'To' phone number is required.");
        }
        else if (string.IsNullOrEmpty(form.GetValueOrDefault("From")))
        {
            (status, json) = Error(StatusCodes.Status400BadRequest, 21603, "A 'From' phone number is required.");
        }
        else if (string.IsNullOrEmpty(form.GetValueOrDefault("Body")) && mediaUrls.Count == 0)
        {
            (status, json) = Error(StatusCodes.Status400BadRequest, 21602, "Message body is required.");
        }
        else if (!E164().IsMatch(form["To"]))
        {
            (status, json) = Error(StatusCodes.Status400BadRequest, 21211, $"Invalid 'To' Phone Number: {form["To"]}");
        }
        else if (mediaUrls.Count > 10)
        {
            (status, json) = Error(StatusCodes.Status400BadRequest, 21623, "Number of media files exceeds allowed limit");
        }
        else
        {
            // Twilio fetches the media before it sends: a file the customer's phone could not get fails the message.
            fetches = mediaUrls.Count == 0 ? [] : await FetchMediaAsync(mediaUrls, context.RequestAborted);
            if (fetches.FirstOrDefault(fetch => fetch.Status != StatusCodes.Status200OK || string.IsNullOrEmpty(fetch.ContentType)) is { } failed)
            {
                (status, json) = Error(StatusCodes.Status400BadRequest, 11200, $"HTTP retrieval failure: {failed.Url} answered {failed.Status}");
            }
            else if (fetches.Sum(fetch => (long)fetch.Content.Length) > MaxMediaBytes)
            {
                (status, json) = Error(StatusCodes.Status400BadRequest, 11751, "Media exceeds messaging provider size limit");
            }
            else
            {
                messageSid = "SM" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                status = StatusCodes.Status201Created;
                json = MessageJson(messageSid, form, mediaUrls.Count, now);
            }
        }

        Record(new TwilioRequest(accountSidInPath, username, password, context.Request.ContentType, form, status, messageSid, now)
        {
            MediaUrls = mediaUrls,
            MediaFetches = fetches,
            IdempotencyToken = context.Request.Headers.TryGetValue(IdempotencyHeader, out var token) ? token.ToString() : null,
        });

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json, Encoding.UTF8, context.RequestAborted);
    }

    /// <summary>Fetches each media URL as Twilio does: a plain GET without credentials, following redirects.</summary>
    private async Task<IReadOnlyList<TwilioMediaFetch>> FetchMediaAsync(IReadOnlyList<string> urls, CancellationToken cancellationToken)
    {
        var fetches = new List<TwilioMediaFetch>(urls.Count);
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                fetches.Add(new TwilioMediaFetch(url, 0, null, null, [], new Dictionary<string, string>()));
                continue;
            }

            if (_publicAddresses.FirstOrDefault(p => url.StartsWith(p.Key, StringComparison.OrdinalIgnoreCase)) is { Key: { } publicBase } mapped)
            {
                // Where the shop's public address really leads (its reverse proxy), as DNS would send Twilio there.
                uri = new Uri(mapped.Value, url[publicBase.Length..].TrimStart('/'));
            }

            try
            {
                using var response = await _mediaFetcher.GetAsync(uri, cancellationToken);
                var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                var headers = response.Headers.Concat(response.Content.Headers)
                    .ToDictionary(header => header.Key, header => header.Value.First(), StringComparer.OrdinalIgnoreCase);
                fetches.Add(new TwilioMediaFetch(
                    url, (int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), response.Content.Headers.ContentLength, content, headers));
            }
            catch (HttpRequestException)
            {
                fetches.Add(new TwilioMediaFetch(url, 0, null, null, [], new Dictionary<string, string>()));
            }
        }

        return fetches;
    }

    private async Task HandleGetMediaAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var (username, password) = ReadBasicAuth(context.Request);
        var authorised = !RequireMediaAuth || (username == AccountSid && password == AuthToken);
        int status;
        string? json = null;
        (byte[] Content, string ContentType, Uri? RedirectTo) media = default;
        var failure = 0;
        var delay = TimeSpan.Zero;
        lock (_gate)
        {
            if (_mediaFailuresLeft > 0 && authorised)
            {
                _mediaFailuresLeft--;
                failure = _mediaFailureStatus;
            }

            if (_mediaDelaysLeft > 0)
            {
                _mediaDelaysLeft--;
                delay = _mediaDelay;
            }
        }

        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up; it still counts as received.
            }
        }

        if (!authorised)
        {
            (status, json) = Error(StatusCodes.Status401Unauthorized, 20003, "Authenticate");
        }
        else if (failure != 0)
        {
            var (code, message) = DefaultError(failure);
            (status, json) = Error(failure, code, message);
        }
        else if (!_media.TryGetValue(path, out media))
        {
            (status, json) = Error(StatusCodes.Status404NotFound, 20404, $"The requested resource {path} was not found");
        }
        else
        {
            status = media.RedirectTo is null ? StatusCodes.Status200OK : StatusCodes.Status307TemporaryRedirect;
        }

        _mediaDownloads.Enqueue(new TwilioMediaDownload(path, username, password, status));
        context.Response.StatusCode = status;
        if (json is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(json, Encoding.UTF8, context.RequestAborted);
        }
        else if (media.RedirectTo is { } location)
        {
            context.Response.Headers.Location = location.ToString();
        }
        else
        {
            context.Response.ContentType = media.ContentType;
            context.Response.ContentLength = media.Content!.Length;
            await context.Response.Body.WriteAsync(media.Content, context.RequestAborted);
        }
    }

    private void Record(TwilioRequest request)
    {
        List<TaskCompletionSource<TwilioRequest>> matched = [];
        lock (_gate)
        {
            _requests.Enqueue(request);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(request))
                {
                    matched.Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var waiter in matched)
        {
            waiter.TrySetResult(request);
        }
    }

    private static (string? Username, string? Password) ReadBasicAuth(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return (null, null);
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return (null, null);
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (decoded, null) : (decoded[..colon], decoded[(colon + 1)..]);
    }

    private static (int Code, string Message) DefaultError(int status) => status switch
    {
        400 => (21211, "Invalid 'To' Phone Number"),
        401 => (20003, "Authenticate"),
        404 => (20404, "The requested resource was not found"),
        429 => (20429, "Too Many Requests"),
        503 => (20503, "Service Unavailable"),
        >= 500 => (20500, "An internal server error has occurred"),
        _ => (20001, "Unknown error"),
    };

    private static (int Status, string Json) Error(int status, int code, string message) =>
        (status, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["code"] = code,
            ["message"] = message,
            ["more_info"] = $"https://www.twilio.com/docs/errors/{code}",
            ["status"] = status,
        }));

    private string MessageJson(string messageSid, IReadOnlyDictionary<string, string> form, int numMedia, DateTimeOffset now)
    {
        var uri = $"/2010-04-01/Accounts/{AccountSid}/Messages/{messageSid}.json";
        var date = now.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["account_sid"] = AccountSid,
            ["api_version"] = "2010-04-01",
            ["body"] = form.GetValueOrDefault("Body") ?? "",
            ["date_created"] = date,
            ["date_sent"] = null,
            ["date_updated"] = date,
            ["direction"] = "outbound-api",
            ["error_code"] = null,
            ["error_message"] = null,
            ["from"] = form["From"],
            ["messaging_service_sid"] = null,
            ["num_media"] = numMedia.ToString(CultureInfo.InvariantCulture),
            ["num_segments"] = "1",
            ["price"] = null,
            ["price_unit"] = "USD",
            ["sid"] = messageSid,
            ["status"] = "queued",
            ["subresource_uris"] = new Dictionary<string, string> { ["media"] = uri.Replace(".json", "/Media.json", StringComparison.Ordinal) },
            ["to"] = form["To"],
            ["uri"] = uri,
        });
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164();
}
