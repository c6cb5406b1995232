using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class HashedProviderKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Messages_InstanceId_Direction_ProviderMessageId",
                table: "Messages");

            migrationBuilder.AddColumn<long>(
                name: "ProviderKey",
                table: "Messages",
                type: "INTEGER",
                nullable: true);

            // Messages stored before get their key: provider_key is Message.KeyOf, registered on the
            // connection by StartupInitializer (the gateway migrates its store itself when it starts).
            migrationBuilder.Sql(
                "UPDATE \"Messages\" SET \"ProviderKey\" = provider_key(\"InstanceId\", \"Direction\", \"ProviderMessageId\") WHERE \"ProviderMessageId\" IS NOT NULL;");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages",
                column: "ProviderKey",
                filter: "\"ProviderKey\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages");

            migrationBuilder.DropColumn(
                name: "ProviderKey",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_InstanceId_Direction_ProviderMessageId",
                table: "Messages",
                columns: new[] { "InstanceId", "Direction", "ProviderMessageId" },
                unique: true);
        }
    }
}
