using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// Development only: what a shop's server does for a signed-in customer (see the WebChat README), so the
/// demo shop can show ChatGateway.identify. Signs a fixed demo customer with Channels:webchat:IdentitySecret.
/// </summary>
internal static class DemoShopEndpoints
{
    public static void MapDemoShop(this IEndpointRouteBuilder app) =>
        app.MapGet("/demo/signed-in-customer", (IConfiguration configuration, TimeProvider time) =>
        {
            var secret = configuration["Channels:webchat:IdentitySecret"];
            if (string.IsNullOrEmpty(secret))
            {
                return Results.Json(new ErrorDto("set Channels:webchat:IdentitySecret to try the signed-in customer"), statusCode: StatusCodes.Status404NotFound);
            }

            const string userId = "demo-customer-1", phone = "+8613800138000", email = "li.wei@example.com", name = "Li Wei";
            var expires = time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
            var text = string.Join('\n', userId, phone, email, name, expires.ToString(CultureInfo.InvariantCulture));
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text)));
            return Results.Json(new { userId, phone, email, name, expires, signature });
        }).ExcludeFromDescription();
}
