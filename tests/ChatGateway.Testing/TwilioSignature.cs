using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Testing;

/// <summary>
/// Signs webhooks the way Twilio does, written apart from the plugin's own validator so that tests
/// check one implementation against another: Base64(HMAC-SHA1(authToken, url + name1 + value1 + ...)),
/// parameters sorted by name (ordinal).
/// </summary>
public static class TwilioSignature
{
    public const string HeaderName = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);

        var pairs = form.ToList();
        pairs.Sort((left, right) => string.CompareOrdinal(left.Key, right.Key));

        var payload = new StringBuilder(url);
        foreach (var pair in pairs)
        {
            payload.Append(pair.Key);
            payload.Append(pair.Value);
        }

        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(payload.ToString())));
    }

    /// <summary>
    /// A form POST to <paramref name="pathAndQuery"/> (relative, so it goes to the HttpClient's own base address)
    /// signed over <paramref name="publicBaseUrl"/> + <paramref name="pathAndQuery"/>, as Twilio would sign it
    /// when configured with that public URL.
    /// </summary>
    public static HttpRequestMessage CreateSignedRequest(
        string authToken, string publicBaseUrl, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> form)
    {
        var fields = form.ToList();
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(pathAndQuery, UriKind.Relative))
        {
            Content = new FormUrlEncodedContent(fields),
        };
        request.Headers.Add(HeaderName, Compute(authToken, publicBaseUrl.TrimEnd('/') + pathAndQuery, fields));
        return request;
    }
}
