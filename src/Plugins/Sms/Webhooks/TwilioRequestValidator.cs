using System.Security.Cryptography;
using System.Text;

using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms.Webhooks;

/// <summary>
/// Twilio's <c>X-Twilio-Signature</c>: Base64 of HMAC-SHA1, keyed with the auth token, over the full URL
/// Twilio called followed by every POST parameter's name and value, sorted by name.
/// </summary>
internal static class TwilioRequestValidator
{
    public static string ComputeSignature(string authToken, string url, IEnumerable<KeyValuePair<string, StringValues>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, values) in form.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            foreach (var value in values)
            {
                data.Append(name).Append(value);
            }
        }

        var hash = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
        return Convert.ToBase64String(hash);
    }

    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, StringValues>> form, string signature)
    {
        var expected = Encoding.ASCII.GetBytes(ComputeSignature(authToken, url, form));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
