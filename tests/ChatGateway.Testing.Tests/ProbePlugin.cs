using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Testing.Tests;

/// <summary>The mistakes a <see cref="ProbePlugin"/> can be told to make, each one the kit must catch.</summary>
[Flags]
public enum ProbeFlaws
{
    None = 0,
    AcknowledgesBeforeTheSink = 1 << 0,
    ChecksNoSignature = 1 << 1,
    ParsesBeforeVerifying = 1 << 2,
    HasNoSizeLimit = 1 << 3,
    TrustsContentLengthOnly = 1 << 4,
    SwallowsSinkFailures = 1 << 5,
    FailsTheBatchForOneRefusal = 1 << 6,
    StoresInTheBackground = 1 << 7,
    HasAFactoryThatThrows = 1 << 8,
    CallsEveryFailurePermanent = 1 << 9,
    CallsEveryFailureTransient = 1 << 10,
    SendsANewKeyEachAttempt = 1 << 11,
    SendsNoKey = 1 << 12,
    PutsTheTextInErrors = 1 << 13,
    ShipsTheContract = 1 << 14,
    GivesUpOnAStaleReplyContext = 1 << 15,
    RefusesAMessageWithoutText = 1 << 16,
}

/// <summary>
/// A small channel plugin whose webhook (<c>POST events</c>: JSON <c>{"messages":[{"id","from","text"}]}</c>, signed with
/// <c>X-Probe-Signature</c> = hex HMAC-SHA256 of the body under the <c>Secret</c> setting, or with <c>SignatureIn</c> =
/// <c>query</c> the same in the query string's <c>signature</c>) and sender (<c>POST send</c> to
/// <c>ApiBaseAddress</c> with an <c>Idempotency-Key</c>) are right unless told to make one of <see cref="ProbeFlaws"/>.
/// </summary>
public sealed class ProbePlugin(ProbeFlaws flaws) : IChannelPlugin
{
    public const string SignatureHeader = "X-Probe-Signature";

    /// <summary>The query parameter holding the signature when the setting <c>SignatureIn</c> is <c>query</c>.</summary>
    public const string SignatureQueryParameter = "signature";

    public ProbePlugin() : this(ProbeFlaws.None) { }

    public ProbeFlaws Flaws => flaws;

    public string Name => "Probe";

    public string ChannelType => "probe";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.ReplyContexts
        | ChannelCapabilities.Attachments;

    public long MaxAttachmentBytes => 1024 * 1024;

    public static string Sign(string secret, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        services.AddSingleton(new ProbeSettings(
            instance.Settings["Secret"] ?? "",
            int.Parse(instance.Settings["MaxBodyBytes"] ?? "4096", System.Globalization.CultureInfo.InvariantCulture),
            instance.Settings["ApiBaseAddress"])
        {
            SignsInQuery = string.Equals(instance.Settings["SignatureIn"], "query", StringComparison.OrdinalIgnoreCase),
        });
        services.AddTransient<IChannelSender>(provider => new ProbeSender(
            provider.GetRequiredService<IHttpClientFactory>(), provider.GetRequiredService<ProbeSettings>(), flaws));
        if (flaws.HasFlag(ProbeFlaws.HasAFactoryThatThrows))
        {
            services.AddSingleton<ProbeSettings.Broken>(_ => throw new InvalidOperationException("the factory needs a setting that is not there"));
        }
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance) =>
        endpoints.MapPost("events", new RequestDelegate(HandleAsync));

    private async Task HandleAsync(HttpContext context)
    {
        var settings = context.RequestServices.GetRequiredService<ProbeSettings>();
        var sink = context.RequestServices.GetRequiredService<IInboundSink>();
        var limited = !flaws.HasFlag(ProbeFlaws.HasNoSizeLimit);
        if (limited && context.Request.ContentLength > settings.MaxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        if (limited && !flaws.HasFlag(ProbeFlaws.TrustsContentLengthOnly) && body.Length > settings.MaxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        List<InboundMessage>? messages = null;
        if (flaws.HasFlag(ProbeFlaws.ParsesBeforeVerifying))
        {
            messages = Parse(body);
            if (messages is null)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
        }

        if (!flaws.HasFlag(ProbeFlaws.ChecksNoSignature))
        {
            var expected = Encoding.ASCII.GetBytes(Sign(settings.Secret, body));
            // Where the provider puts it: the header, or (SignatureIn = query) the query string's "signature", as WeChat does.
            var signature = settings.SignsInQuery ? context.Request.Query[SignatureQueryParameter].ToString() : context.Request.Headers[SignatureHeader].ToString();
            var given = Encoding.ASCII.GetBytes(signature);
            if (!CryptographicOperations.FixedTimeEquals(expected, given))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
        }

        messages ??= Parse(body);
        if (messages is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (flaws.HasFlag(ProbeFlaws.AcknowledgesBeforeTheSink))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            await context.Response.StartAsync(context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        if (flaws.HasFlag(ProbeFlaws.StoresInTheBackground))
        {
            _ = Task.Run(() => StoreAsync(sink, messages, CancellationToken.None));
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        try
        {
            await StoreAsync(sink, messages, context.RequestAborted);
        }
        catch (InboundRejectedException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        catch (Exception) when (flaws.HasFlag(ProbeFlaws.SwallowsSinkFailures))
        {
            // The flaw: the provider hears 200 and never sends the message again.
        }

        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
    }

    private async Task StoreAsync(IInboundSink sink, List<InboundMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 1 || flaws.HasFlag(ProbeFlaws.FailsTheBatchForOneRefusal))
        {
            foreach (var message in messages)
            {
                await sink.AcceptAsync(message, cancellationToken);
            }
        }
        else
        {
            await sink.AcceptBatchAsync(messages, cancellationToken);
        }
    }

    private static List<InboundMessage>? Parse(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return [.. document.RootElement.GetProperty("messages").EnumerateArray().Select(item => new InboundMessage
            {
                ProviderMessageId = item.GetProperty("id").GetString()!,
                Sender = new ChannelSender { ExternalId = item.GetProperty("from").GetString()! },
                Text = item.GetProperty("text").GetString()!,
                SentAt = DateTimeOffset.UnixEpoch,
            })];
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}

public sealed record ProbeSettings(string Secret, int MaxBodyBytes, string? ApiBaseAddress)
{
    /// <summary>True when the webhook's signature is in the query string (setting <c>SignatureIn</c> = <c>query</c>), not the header.</summary>
    public bool SignsInQuery { get; init; }

    /// <summary>A service whose factory throws, for <see cref="ProbeFlaws.HasAFactoryThatThrows"/>.</summary>
    public sealed class Broken;
}

internal sealed class ProbeSender(IHttpClientFactory clients, ProbeSettings settings, ProbeFlaws flaws) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        using var client = clients.CreateClient();
        if (flaws.HasFlag(ProbeFlaws.RefusesAMessageWithoutText) && string.IsNullOrEmpty(message.Text))
        {
            return DeliveryResult.Permanent("the provider needs words");
        }

        if (message.ReplyContext is { } token)
        {
            // The free answer first (POST reply with the token); a token the provider refuses means the normal send.
            using var reply = await client.PostAsJsonAsync(new Uri(new Uri(settings.ApiBaseAddress!), "reply"), new { token, text = message.Text }, cancellationToken);
            if (reply.IsSuccessStatusCode)
            {
                return DeliveryResult.Sent("probe-reply-" + message.MessageId.ToString("N"));
            }

            if (flaws.HasFlag(ProbeFlaws.GivesUpOnAStaleReplyContext))
            {
                return DeliveryResult.Permanent($"provider refused the reply token ({(int)reply.StatusCode})");
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(settings.ApiBaseAddress!), "send"))
        {
            Content = JsonContent.Create(new { to = message.Recipient.ExternalId, text = message.Text, files = (message.Attachments ?? []).Select(file => file.FileName) }),
        };
        if (!flaws.HasFlag(ProbeFlaws.SendsNoKey))
        {
            request.Headers.Add("Idempotency-Key", flaws.HasFlag(ProbeFlaws.SendsANewKeyEachAttempt) ? Guid.NewGuid().ToString("N") : message.MessageId.ToString("N"));
        }

        using var response = await client.SendAsync(request, cancellationToken);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return DeliveryResult.Sent("probe-" + message.MessageId.ToString("N"));
        }

        var error = flaws.HasFlag(ProbeFlaws.PutsTheTextInErrors) ? $"provider answered {status} to '{message.Text}'" : $"provider answered {status}";
        var transient = status is 408 or 429 or >= 500;
        if (flaws.HasFlag(ProbeFlaws.CallsEveryFailurePermanent))
        {
            transient = false;
        }

        if (flaws.HasFlag(ProbeFlaws.CallsEveryFailureTransient))
        {
            transient = true;
        }

        return transient ? DeliveryResult.Transient(error) : DeliveryResult.Permanent(error);
    }
}
