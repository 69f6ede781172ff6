"""The functional tests' REST client (stand-in for nova.tests.functional.api.client)."""


class OpenStackApiException(Exception):
    def __init__(self, message=None, response=None):
        super().__init__(message)
        self.response = response


class TestOpenStackClient:
    def __init__(self, auth_user, base_url, project_id=None):
        self.auth_user = auth_user
        self.base_url = base_url
        self.project_id = project_id
        self.microversion = None

    def api_get(self, relative_uri, **kwargs):
        raise NotImplementedError

    def api_post(self, relative_uri, body, **kwargs):
        raise NotImplementedError

    def get_server(self, server_id):
        return self.api_get("/servers/%s" % server_id).body["server"]

    def get_servers(self, detail=True, search_opts=None):
        return self.api_get("/servers/detail" if detail else "/servers").body["servers"]

    def post_server(self, server):
        return self.api_post("/servers", server).body["server"]

    def post_server_action(self, server_id, data, **kwargs):
        return self.api_post("/servers/%s/action" % server_id, data, **kwargs).body

    def get_flavors(self, detail=True):
        return self.api_get("/flavors/detail" if detail else "/flavors").body["flavors"]

    def get_images(self, detail=True):
        return self.api_get("/images/detail" if detail else "/images").body["images"]
