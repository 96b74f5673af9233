package garbage
import "net/http"
func h(w http.ResponseWriter, r *http.Request) { ) ) context.Background() } } }
func ((( log.Printf http.Get(
