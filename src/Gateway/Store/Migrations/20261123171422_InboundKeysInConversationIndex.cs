using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class InboundKeysInConversationIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Messages_ConversationId_CreatedAt",
                table: "Messages");

            migrationBuilder.DropIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ConversationId_CreatedAt_ProviderKey",
                table: "Messages",
                columns: new[] { "ConversationId", "CreatedAt", "ProviderKey" });

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages",
                column: "ProviderKey",
                filter: "\"ProviderKey\" IS NOT NULL AND \"Direction\" = 1");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Messages_ConversationId_CreatedAt_ProviderKey",
                table: "Messages");

            migrationBuilder.DropIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ConversationId_CreatedAt",
                table: "Messages",
                columns: new[] { "ConversationId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages",
                column: "ProviderKey",
                filter: "\"ProviderKey\" IS NOT NULL");
        }
    }
}
