using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>
/// Standard Webhooks signing (https://www.standardwebhooks.com): <c>webhook-signature</c> is <c>v1,</c> + base64 of
/// HMAC-SHA256 keyed with the secret's bytes over <c>{webhook-id}.{webhook-timestamp}.{body}</c>; several signatures are
/// space-separated (during a rotation, one per secret).
/// </summary>
internal static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string MessageId(Guid eventId) => "msg_" + eventId.ToString("N");

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var signature = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(signature);
    }

    /// <summary>The header's value: the current secret's signature, and the previous one's while it still signs.</summary>
    public static string Signatures(WebhookSubscription subscription, string messageId, long timestamp, string body, DateTimeOffset now)
    {
        var current = Sign(subscription.Secret, messageId, timestamp, body);
        return subscription.PreviousSecret is { } previous && subscription.PreviousSecretUntil > now
            ? current + " " + Sign(previous, messageId, timestamp, body)
            : current;
    }
}
