using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.Identity;

/// <summary>What a shop's server does for ChatGateway.identify (as in the WebChat README), and a visitor using the token.</summary>
internal static class ShopSignature
{
    public const string Secret = "shop-server-secret-0123456789abcdef";

    public static Dictionary<string, string?> Settings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Channels:webchat:IdentitySecret"] = Secret };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static object Identity(string userId, string? phone, string? email, string? name, DateTimeOffset? expires = null)
    {
        var exp = (expires ?? DateTimeOffset.UtcNow.AddMinutes(10)).ToUnixTimeSeconds();
        var text = string.Join('\n', userId, phone ?? "", email ?? "", name ?? "", exp.ToString(CultureInfo.InvariantCulture));
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(text)));
        return new { userId, phone, email, name, expires = exp, signature };
    }

    /// <summary>A visitor token for a shop user, from POST visitors/identify.</summary>
    public static async Task<string> IdentifyAsync(GatewayHost host, object identity)
    {
        using var http = host.CreateClient();
        using var response = await http.PostAsJsonAsync("/channels/webchat/visitors/identify", identity);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("visitorToken").GetString()!;
    }

    public static async Task<HttpResponseMessage> SendAsync(GatewayHost host, string token, string text, string? phone = null)
    {
        using var http = host.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/channels/webchat/messages")
        {
            Content = JsonContent.Create(new { clientMessageId = Guid.NewGuid().ToString(), text, phone }),
        };
        request.Headers.Add("X-Visitor-Token", token);
        return await http.SendAsync(request);
    }
}
