using System.Buffers;
using System.Net.Http.Headers;
using System.Text;

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms.Webhooks;

/// <summary>A webhook refused before its content was trusted: the status and a reason for the caller.</summary>
internal sealed record WebhookRejection(int StatusCode, string Reason);

/// <summary>
/// Reads a Twilio webhook in the order that keeps unverified input out: size, content type, the signature's presence,
/// the signature over the decoded form, then the form's shape and account. Only a form that passed every step is returned.
/// </summary>
internal static class TwilioWebhookReader
{
    public const string SignatureHeader = "X-Twilio-Signature";

    private const string FormMediaType = "application/x-www-form-urlencoded";

    public static async Task<(IReadOnlyDictionary<string, StringValues>? Form, WebhookRejection? Rejection)> ReadAsync(
        HttpRequest request, SmsOptions options, CancellationToken cancellationToken)
    {
        if (request.ContentLength > options.MaxBodyBytes)
        {
            return Reject(StatusCodes.Status413PayloadTooLarge, $"request body exceeds {options.MaxBodyBytes} bytes");
        }

        if (!IsForm(request.ContentType))
        {
            return Reject(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {FormMediaType}");
        }

        // Read ourselves so that a chunked body without Content-Length is held to the same limit.
        var body = await ReadBoundedAsync(request.Body, options.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Reject(StatusCodes.Status413PayloadTooLarge, $"request body exceeds {options.MaxBodyBytes} bytes");
        }

        // Unsigned requests are refused before their body is decoded.
        var signature = request.Headers[SignatureHeader].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return Reject(StatusCodes.Status403Forbidden, $"missing {SignatureHeader}");
        }

        // Twilio signs the decoded parameters, so the form is decoded to check the signature, and nothing else is read
        // from it before the check: a body that does not decode carries no valid signature, and is refused as one.
        Dictionary<string, StringValues> form;
        try
        {
            using var reader = new FormReader(Encoding.UTF8.GetString(body));
            form = reader.ReadForm();
        }
        catch (InvalidDataException)
        {
            return Reject(StatusCodes.Status403Forbidden, "invalid signature");
        }

        var url = options.PublicUrlFor(request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent());
        if (!TwilioRequestValidator.IsValid(options.AuthToken, url, form, signature))
        {
            return Reject(StatusCodes.Status403Forbidden, "invalid signature");
        }

        // Twilio sends every field once (media come as MediaUrl0, MediaUrl1, ...): a repeated one is ambiguous, and
        // the form reader would join its values with a comma.
        if (form.FirstOrDefault(f => f.Value.Count > 1) is { Key: { } repeated })
        {
            return Reject(StatusCodes.Status400BadRequest, $"form field '{repeated}' is repeated; each field is expected once");
        }

        if (!form.TryGetValue("AccountSid", out var accountSid) || !string.Equals(accountSid.ToString(), options.AccountSid, StringComparison.Ordinal))
        {
            return Reject(StatusCodes.Status403Forbidden, "AccountSid does not match this channel");
        }

        return (form, null);
    }

    private static (IReadOnlyDictionary<string, StringValues>?, WebhookRejection?) Reject(int statusCode, string reason) =>
        (null, new WebhookRejection(statusCode, reason));

    private static bool IsForm(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType, FormMediaType, StringComparison.OrdinalIgnoreCase);

    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }
}
